// Consumer groups over the ring buffer (embedded): the semantics of Redis stream groups on SQLite
// tables. A group's last-delivered id says what it was handed; `pending` is its pending entries
// list (consumer, deliveries, when handed); dead letters are kept per group. A group created `only`
// for a tag reads past the rows known to lack it, counting them.
import type { StatementSync } from 'node:sqlite';
import type { CanonicalEvent } from '../../event/canonical.js';
import { KCR_ERR_NO_GROUP } from '../../errors.js';
import type { AppendSignals } from '../append-signal.js';
import type { Claimed, ConsumerStore, DeadLetter, DeadLetterInfo, GroupOptions, GroupState, Resumed, StoredEntry } from '../event-store.js';
import { checkTag, lacking } from '../tags.js';
import { all, one, positionOf, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';
import { toEntry, type EntryRow, type RingBuffer } from './ring-buffer.js';

const STATEMENTS = {
  entriesAfter: 'SELECT id, uid, event FROM events WHERE id > ? ORDER BY id LIMIT ?',
  // The second parameter is what `lacking` says of a row without the group's tag (NULL: tags unknown).
  taggedEntriesAfter: `SELECT id, uid, event FROM events WHERE id > ? AND instr(coalesce(tags, ''), ?) = 0 ORDER BY id LIMIT ?`,
  group: 'SELECT last_delivered AS lastDelivered, only_tag AS only FROM consumer_groups WHERE name = ?',
  createGroup: `INSERT INTO consumer_groups (name, last_delivered, only_tag) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET only_tag = excluded.only_tag`,
  setLastDelivered: 'UPDATE consumer_groups SET last_delivered = ? WHERE name = ?',
  addPending: `INSERT OR REPLACE INTO pending (grp, entry_id, consumer, deliveries, delivered_at) VALUES (?, ?, ?, 1, ?)`,
  // LEFT JOIN: a pending entry the bound evicted has no event left (e.event IS NULL).
  stalePending: `SELECT p.entry_id AS id, p.deliveries, e.uid, e.event FROM pending p LEFT JOIN events e ON e.id = p.entry_id
    WHERE p.grp = ? AND p.delivered_at <= ? ORDER BY p.entry_id LIMIT ?`,
  ownPending: `SELECT p.entry_id AS id, p.deliveries, e.uid, e.event FROM pending p LEFT JOIN events e ON e.id = p.entry_id
    WHERE p.grp = ? AND p.consumer = ? AND p.entry_id > ? ORDER BY p.entry_id LIMIT ?`,
  claim: 'UPDATE pending SET consumer = ?, deliveries = deliveries + 1, delivered_at = ? WHERE grp = ? AND entry_id = ?',
  touch: 'UPDATE pending SET consumer = ?, delivered_at = ? WHERE grp = ? AND entry_id = ?',
  ack: 'DELETE FROM pending WHERE grp = ? AND entry_id = ?',
  countPending: 'SELECT count(*) AS n FROM pending WHERE grp = ?',
  countStat: 'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',

  addDeadLetter: `INSERT INTO dead_letters (grp, event, attempts, last_status, last_error, dead_at) VALUES (?, ?, ?, ?, ?, ?)`,
  listDeadLetters: `SELECT id, event, attempts, last_status AS lastStatus, last_error AS lastError, dead_at AS deadAt
    FROM dead_letters WHERE grp = ? AND id > ? ORDER BY id LIMIT ?`,
  removeDeadLetter: 'DELETE FROM dead_letters WHERE grp = ? AND id = ?',
  dropOldestDeadLetters: 'DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE grp = ? ORDER BY id LIMIT ?)',
  countDeadLetters: 'SELECT count(*) AS n FROM dead_letters WHERE grp = ?',
  stat: 'SELECT value FROM stats WHERE name = ?',
  setStat: 'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
} as const;

const deadLettersStat = (group: string) => `deadLetters:${group}`;
const skippedStat = (group: string) => `skipped:${group}`;

interface GroupRow {
  lastDelivered: number;
  only: string | null;
}

type PendingRow = { id: number; deliveries: number; uid: string | null; event: string | null };
type DeadLetterRow = Omit<EntryRow, 'uid'> & DeadLetterInfo & { deadAt: string };

export class EmbeddedConsumerGroups implements ConsumerStore {
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;
  /** GroupOptions.onSkipped, per group. */
  private readonly skipListeners = new Map<string, (count: number) => void>();

  constructor(
    private readonly db: EmbeddedDb,
    private readonly ring: RingBuffer,
    /** Dead letters kept per group (BUFFER_CAPACITY). */
    private readonly deadLetterCapacity: number,
    /** Notified of each append: what readNew waits on. */
    private readonly signals: AppendSignals,
  ) {
    this.sql = db.prepare(STATEMENTS);
  }

  async ensureGroup(group: string, from: 'start' | 'end', options: GroupOptions = {}): Promise<void> {
    const only = options.only === undefined ? null : checkTag(options.only);
    await this.db.write(() => {
      const start = from === 'start' ? 0 : (this.ring.bounds().newest ?? 0);
      this.sql.createGroup.run(group, start, only);
    });
    if (options.onSkipped) this.skipListeners.set(group, options.onSkipped);
    else this.skipListeners.delete(group);
  }

  async readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    const deadline = Date.now() + blockMs;
    for (;;) {
      const { entries, only, skipped } = await this.db.write(() => this.deliverNew(group, consumer, count));
      // Once committed: what was skipped is then acknowledged for good.
      if (skipped > 0) this.skipListeners.get(group)?.(skipped);
      const left = deadline - Date.now();
      if (entries.length > 0 || left <= 0) return entries;
      await (only === null ? this.signals.any : this.signals.tagged(only)).wait(left);
      if (this.db.isClosed) return [];
    }
  }

  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Claimed> {
    return this.db.write(() => {
      this.requireGroup(group);
      const now = Date.now();
      return this.claim(group, consumer, now, all<PendingRow>(this.sql.stalePending, group, now - minIdleMs, count));
    });
  }

  async resumePending(group: string, consumer: string, afterId: string, count: number, exclude: ReadonlySet<string>): Promise<Resumed> {
    return this.db.write(() => {
      this.requireGroup(group);
      const rows = all<PendingRow>(this.sql.ownPending, group, consumer, positionOf(afterId), count);
      const claimed = this.claim(
        group,
        consumer,
        Date.now(),
        rows.filter((row) => !exclude.has(String(row.id))),
      );
      return { ...claimed, cursor: rows.length < count ? null : String(rows.at(-1)!.id) };
    });
  }

  async touch(group: string, consumer: string, ids: string[]): Promise<void> {
    await this.db.write(() => {
      const now = Date.now();
      for (const id of ids) this.sql.touch.run(consumer, now, group, positionOf(id));
    });
  }

  async ack(group: string, ids: string[]): Promise<void> {
    await this.db.write(() => {
      for (const id of ids) this.sql.ack.run(group, positionOf(id));
    });
  }

  async deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<number> {
    return this.db.write(() => {
      const count = this.deadLetterCount(group) + 1;
      this.sql.ack.run(group, positionOf(entry.id));
      // The bytes first stored, so that a redrive sends exactly them.
      this.sql.addDeadLetter.run(group, entry.body, info.attempts, info.lastStatus, info.lastError, new Date(nowMs).toISOString());
      const dropped = Math.max(0, count - this.deadLetterCapacity);
      if (dropped > 0) this.sql.dropOldestDeadLetters.run(group, dropped);
      this.sql.setStat.run(deadLettersStat(group), count - dropped);
      return dropped;
    });
  }

  /**
   * A group's dead letters, kept in the stats table with every change to them (a count(*) would
   * scan them all on every dead letter and every scrape). Counted once where the stat is missing: a
   * database written before it existed.
   */
  private deadLetterCount(group: string): number {
    return one<{ value: number }>(this.sql.stat, deadLettersStat(group))?.value ?? one<{ n: number }>(this.sql.countDeadLetters, group)!.n;
  }

  async listDeadLetters(group: string, count: number, afterId: string | null = null): Promise<DeadLetter[]> {
    return this.db.read(() => {
      const rows = all<DeadLetterRow>(this.sql.listDeadLetters, group, afterId === null ? 0 : positionOf(afterId), count);
      return rows.map(({ event, ...row }) => ({ ...row, id: String(row.id), event: JSON.parse(event) as CanonicalEvent, body: event }));
    });
  }

  async removeDeadLetters(group: string, ids: string[]): Promise<void> {
    await this.db.write(() => {
      let count = this.deadLetterCount(group);
      for (const id of ids) count -= Number(this.sql.removeDeadLetter.run(group, positionOf(id)).changes);
      this.sql.setStat.run(deadLettersStat(group), count);
    });
  }

  async scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    return this.db.read(() => {
      const rows = all<EntryRow>(this.sql.entriesAfter, afterId === null ? 0 : positionOf(afterId), count);
      return rows.map((row) => toEntry(row, 0));
    });
  }

  async groupState(group: string): Promise<GroupState> {
    return this.db.read(() => {
      const found = one<GroupRow>(this.sql.group, group);
      const { oldest, newest } = this.ring.bounds();
      // A group not created yet has been handed nothing: everything buffered is its lag.
      const lag = oldest === null || newest === null ? 0 : newest - Math.max(found?.lastDelivered ?? 0, oldest - 1);
      const pending = one<{ n: number }>(this.sql.countPending, group)!.n;
      const deadLetters = this.deadLetterCount(group);
      const state: GroupState = { group, pending, lag, deadLetters, partitionLag: [lag] };
      if (!found || found.only === null) return state;
      return { ...state, skipped: one<{ value: number }>(this.sql.stat, skippedStat(group))?.value ?? 0 };
    });
  }

  async bufferLength(): Promise<number> {
    return this.db.read(() => this.ring.length());
  }

  /**
   * Moves pending rows to `consumer`, counting a delivery each. Rows whose entry the bound evicted
   * are the group's losses: released, and counted as at eviction.
   */
  private claim(group: string, consumer: string, now: number, rows: PendingRow[]): Claimed {
    const entries: StoredEntry[] = [];
    let gone = 0;
    for (const row of rows) {
      if (row.event === null || row.uid === null) {
        this.sql.ack.run(group, row.id);
        gone += 1;
        continue;
      }
      this.sql.claim.run(consumer, now, group, row.id);
      entries.push(toEntry({ id: row.id, uid: row.uid, event: row.event }, row.deliveries + 1));
    }
    if (gone > 0) this.sql.countStat.run(`lost:${group}`, gone);
    return { entries, gone };
  }

  private requireGroup(group: string): GroupRow {
    const found = one<GroupRow>(this.sql.group, group);
    if (!found) throw KCR_ERR_NO_GROUP(group);
    return found;
  }

  /**
   * A group reading `only` a tag is handed only the rows not known to lack it; once it has found
   * them all, its position moves to the newest row, past the others, which are never handed to it
   * nor pending: counted as skipped (rows evicted before it got there are not: they are gone).
   */
  private deliverNew(group: string, consumer: string, count: number): { entries: StoredEntry[]; only: string | null; skipped: number } {
    const found = this.requireGroup(group);
    const { only } = found;
    const rows =
      only === null
        ? all<EntryRow>(this.sql.entriesAfter, found.lastDelivered, count)
        : all<EntryRow>(this.sql.taggedEntriesAfter, found.lastDelivered, lacking(only), count);
    let position = rows.at(-1)?.id ?? null;
    let skipped = 0;
    if (only !== null) {
      const { oldest, newest } = this.ring.bounds();
      if (rows.length < count) position = newest;
      if (position !== null && oldest !== null && position > found.lastDelivered) {
        skipped = position - Math.max(found.lastDelivered, oldest - 1) - rows.length;
        if (skipped > 0) this.sql.countStat.run(skippedStat(group), skipped);
      }
    }
    if (position !== null && position > found.lastDelivered) this.sql.setLastDelivered.run(position, group);
    const now = Date.now();
    for (const row of rows) this.sql.addPending.run(group, row.id, consumer, now);
    return { entries: rows.map((row) => toEntry(row, 1)), only, skipped };
  }
}
