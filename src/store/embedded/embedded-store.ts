// The embedded event store: node:sqlite in DATA_DIR, for a relay that runs as ONE process. Same
// semantics as the Redis store: what Redis does in one Lua script or MULTI is one atomic write here
// (a savepoint of a group commit, ./group-commit.ts), and dedup follows the same hour buckets
// (../dedup-window.ts).
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { CanonicalEvent } from '../../event/canonical.js';
import { KCR_ERR_NO_GROUP, KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import { placeUid, type DedupPlacement } from '../dedup-window.js';
import type {
  AppendOutcome,
  BufferPolicy,
  DeadLetter,
  DeadLetterInfo,
  EventStore,
  GroupState,
  LookupOutcome,
  LostEvent,
  QuarantinedBody,
  QuarantineRecord,
  StoredEntry,
  StoreStatus,
} from '../event-store.js';
import { AppendSignal } from './append-signal.js';
import { forgetOwner } from './data-dir-lock.js';
import { GroupCommit } from './group-commit.js';
import { openDatabase } from './open-database.js';

/** Expired dedup buckets are deleted at most this often, by the append that comes due. */
const PURGE_INTERVAL_MS = 60_000;
/** Seen-uid rows one append deletes at most, so that an hour of a busy day never stalls ingest. */
const PURGE_BATCH = 1_000;

const STATEMENTS = {
  seenEntry: `SELECT s.entry_id AS entryId FROM seen s
    JOIN seen_buckets b ON b.bucket = s.bucket AND b.generation = s.generation
    WHERE s.uid = ? AND b.expire_at > ?`,
  latestBucket: 'SELECT generation, expire_at AS expireAt FROM seen_buckets WHERE bucket = ? ORDER BY generation DESC LIMIT 1',
  insertBucket: 'INSERT INTO seen_buckets (bucket, generation, expire_at) VALUES (?, ?, ?)',
  extendBucket: 'UPDATE seen_buckets SET expire_at = max(expire_at, ?) WHERE bucket = ? AND generation = ?',
  rememberUid: 'INSERT OR REPLACE INTO seen (uid, bucket, generation, entry_id) VALUES (?, ?, ?, ?)',
  expiredBucket: 'SELECT bucket, generation FROM seen_buckets WHERE expire_at <= ? ORDER BY expire_at LIMIT 1',
  purgeSeen: 'DELETE FROM seen WHERE uid IN (SELECT uid FROM seen WHERE bucket = ? AND generation = ? LIMIT ?)',
  dropBucket: 'DELETE FROM seen_buckets WHERE bucket = ? AND generation = ?',

  bounds: 'SELECT min(id) AS oldest, max(id) AS newest FROM events',
  oldestEntries: 'SELECT id, uid FROM events ORDER BY id LIMIT ?',
  groupsOwed: `SELECT name FROM consumer_groups WHERE last_delivered < ?
    UNION SELECT grp FROM pending WHERE entry_id = ? ORDER BY 1`,
  dropEntries: 'DELETE FROM events WHERE id <= ?',
  dropPendingOf: 'DELETE FROM pending WHERE entry_id <= ?',
  countStat: 'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
  insertEvent: 'INSERT INTO events (uid, event) VALUES (?, ?)',
  entryEvent: 'SELECT event FROM events WHERE id = ?',
  entriesAfter: 'SELECT id, event FROM events WHERE id > ? ORDER BY id LIMIT ?',

  insertQuarantine: `INSERT INTO quarantine (node, received_at, remote_address, error_code, error_message, body)
    VALUES (?, ?, ?, ?, ?, ?)`,
  trimQuarantine: 'DELETE FROM quarantine WHERE id <= ?',
  listQuarantine: `SELECT id, node, received_at AS receivedAt, remote_address AS remoteAddress, error_code AS errorCode,
    error_message AS errorMessage, body FROM quarantine ORDER BY id DESC LIMIT ?`,

  group: 'SELECT last_delivered AS lastDelivered FROM consumer_groups WHERE name = ?',
  createGroup: 'INSERT INTO consumer_groups (name, last_delivered) VALUES (?, ?) ON CONFLICT (name) DO NOTHING',
  setLastDelivered: 'UPDATE consumer_groups SET last_delivered = ? WHERE name = ?',
  addPending: `INSERT OR REPLACE INTO pending (grp, entry_id, consumer, deliveries, delivered_at) VALUES (?, ?, ?, 1, ?)`,
  stalePending: `SELECT p.entry_id AS id, p.deliveries, e.event FROM pending p JOIN events e ON e.id = p.entry_id
    WHERE p.grp = ? AND p.delivered_at <= ? ORDER BY p.entry_id LIMIT ?`,
  claim: 'UPDATE pending SET consumer = ?, deliveries = deliveries + 1, delivered_at = ? WHERE grp = ? AND entry_id = ?',
  touch: 'UPDATE pending SET consumer = ?, delivered_at = ? WHERE grp = ? AND entry_id = ?',
  ack: 'DELETE FROM pending WHERE grp = ? AND entry_id = ?',
  countPending: 'SELECT count(*) AS n FROM pending WHERE grp = ?',

  addDeadLetter: `INSERT INTO dead_letters (grp, event, attempts, last_status, last_error, dead_at) VALUES (?, ?, ?, ?, ?, ?)`,
  listDeadLetters: `SELECT id, event, attempts, last_status AS lastStatus, last_error AS lastError, dead_at AS deadAt
    FROM dead_letters WHERE grp = ? AND id > ? ORDER BY id LIMIT ?`,
  removeDeadLetter: 'DELETE FROM dead_letters WHERE grp = ? AND id = ?',
  countDeadLetters: 'SELECT count(*) AS n FROM dead_letters WHERE grp = ?',

  ping: 'SELECT 1',
} as const;

type Statements = Record<keyof typeof STATEMENTS, StatementSync>;

interface EntryRow {
  id: number;
  event: string;
}

type DeadLetterRow = EntryRow & DeadLetterInfo & { deadAt: string };

type RoomOutcome = { evicted: number; lost: LostEvent[] } | { fullAt: string };

export class EmbeddedEventStore implements EventStore {
  private readonly sql: Statements;
  private readonly commits: GroupCommit;
  private readonly appended = new AppendSignal();
  private closed = false;
  private nextPurgeAtMs = 0;

  private constructor(
    private readonly db: DatabaseSync,
    /** Absolute DATA_DIR. */
    readonly dataDir: string,
    private readonly policy: BufferPolicy,
  ) {
    this.sql = Object.fromEntries(
      Object.entries(STATEMENTS).map(([name, text]) => [name, db.prepare(text)]),
    ) as Statements;
    this.commits = new GroupCommit(db, asStoreError);
  }

  /** Opens (creating if needed) the store in `dataDir`; refuses when another process holds it. */
  static open(dataDir: string, policy: BufferPolicy): EmbeddedEventStore {
    const opened = openDatabase(dataDir);
    return new EmbeddedEventStore(opened.db, opened.dataDir, policy);
  }

  async append(event: CanonicalEvent, nowMs: number): Promise<AppendOutcome> {
    const place = placeUid(Date.parse(event.emittedAt), nowMs, this.policy.dedupWindowMs);
    const body = JSON.stringify({ ...event, late: place.late } satisfies CanonicalEvent);
    const outcome = await this.write((): AppendOutcome => {
      this.purgeExpired(nowMs);
      if (this.sql.seenEntry.get(event.uid, nowMs)) return { status: 'duplicate' };
      const room = this.makeRoom();
      if ('fullAt' in room) return { status: 'full', oldestUid: room.fullAt };
      const entryId = Number(this.sql.insertEvent.run(event.uid, body).lastInsertRowid);
      this.rememberUid(event.uid, place, entryId, nowMs);
      return { status: 'accepted', late: place.late, ...room };
    });
    if (outcome.status === 'accepted') this.appended.notify();
    return outcome;
  }

  async quarantine(record: QuarantineRecord): Promise<void> {
    await this.write(() => {
      const { lastInsertRowid } = this.sql.insertQuarantine.run(
        record.node,
        record.receivedAt,
        record.remoteAddress,
        record.errorCode,
        record.errorMessage,
        record.body,
      );
      this.sql.trimQuarantine.run(Number(lastInsertRowid) - this.policy.capacity);
    });
  }

  async listQuarantine(count: number): Promise<QuarantinedBody[]> {
    return this.guard(() =>
      all<Omit<QuarantinedBody, 'id' | 'body'> & { id: number; body: Uint8Array }>(this.sql.listQuarantine, count).map((row) => ({
        ...row,
        id: String(row.id),
        body: Buffer.from(row.body),
      })),
    );
  }

  async lookup(uid: string): Promise<LookupOutcome> {
    return this.guard(() => {
      // No caller's clock here: expiry on the wall clock, as Redis expires its seen hashes.
      const seen = one<{ entryId: number }>(this.sql.seenEntry, uid, Date.now());
      if (!seen) return { status: 'unknown' };
      const row = one<{ event: string }>(this.sql.entryEvent, seen.entryId);
      return row ? { status: 'found', event: JSON.parse(row.event) as CanonicalEvent } : { status: 'evicted' };
    });
  }

  async status(): Promise<StoreStatus> {
    const status = { store: 'embedded', singleReplica: true } as const;
    if (this.closed) return { ...status, reachable: false, detail: 'closed' };
    try {
      this.sql.ping.get();
      return { ...status, reachable: true };
    } catch (err) {
      return { ...status, reachable: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.commits.flush();
    this.closed = true;
    this.appended.notify();
    forgetOwner(this.dataDir);
    this.db.close();
  }

  async ensureGroup(group: string, from: 'start' | 'end'): Promise<void> {
    await this.write(() => {
      const start = from === 'start' ? 0 : (this.bounds().newest ?? 0);
      this.sql.createGroup.run(group, start);
    });
  }

  async readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    const deadline = Date.now() + blockMs;
    for (;;) {
      const entries = await this.write(() => this.deliverNew(group, consumer, count));
      const left = deadline - Date.now();
      if (entries.length > 0 || left <= 0) return entries;
      await this.appended.wait(left);
      if (this.closed) return [];
    }
  }

  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<StoredEntry[]> {
    return this.write(() => {
      if (!one(this.sql.group, group)) throw KCR_ERR_NO_GROUP(group);
      const now = Date.now();
      const rows = all<EntryRow & { deliveries: number }>(this.sql.stalePending, group, now - minIdleMs, count);
      for (const row of rows) this.sql.claim.run(consumer, now, group, row.id);
      return rows.map((row) => toEntry(row, row.deliveries + 1));
    });
  }

  async touch(group: string, consumer: string, ids: string[]): Promise<void> {
    await this.write(() => {
      const now = Date.now();
      for (const id of ids) this.sql.touch.run(consumer, now, group, positionOf(id));
    });
  }

  async ack(group: string, ids: string[]): Promise<void> {
    await this.write(() => {
      for (const id of ids) this.sql.ack.run(group, positionOf(id));
    });
  }

  async deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<void> {
    await this.write(() => {
      this.sql.ack.run(group, positionOf(entry.id));
      this.sql.addDeadLetter.run(
        group,
        JSON.stringify(entry.event),
        info.attempts,
        info.lastStatus,
        info.lastError,
        new Date(nowMs).toISOString(),
      );
    });
  }

  async listDeadLetters(group: string, count: number, afterId: string | null = null): Promise<DeadLetter[]> {
    return this.guard(() => {
      const rows = all<DeadLetterRow>(this.sql.listDeadLetters, group, afterId === null ? 0 : positionOf(afterId), count);
      return rows.map((row) => ({ ...row, id: String(row.id), event: JSON.parse(row.event) as CanonicalEvent }));
    });
  }

  async removeDeadLetters(group: string, ids: string[]): Promise<void> {
    await this.write(() => {
      for (const id of ids) this.sql.removeDeadLetter.run(group, positionOf(id));
    });
  }

  async scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    return this.guard(() => {
      const rows = all<EntryRow>(this.sql.entriesAfter, afterId === null ? 0 : positionOf(afterId), count);
      return rows.map((row) => toEntry(row, 0));
    });
  }

  async groupState(group: string): Promise<GroupState> {
    return this.guard(() => {
      const found = one<{ lastDelivered: number }>(this.sql.group, group);
      const { oldest, newest } = this.bounds();
      // A group not created yet has been handed nothing: everything buffered is its lag.
      const lag = oldest === null || newest === null ? 0 : newest - Math.max(found?.lastDelivered ?? 0, oldest - 1);
      const pending = one<{ n: number }>(this.sql.countPending, group)!.n;
      const deadLetters = one<{ n: number }>(this.sql.countDeadLetters, group)!.n;
      return { group, pending, lag, deadLetters };
    });
  }

  async bufferLength(): Promise<number> {
    return this.guard(() => this.length());
  }

  /**
   * Makes room for one entry. Under drop-oldest, evicts the oldest entries beyond the bound and
   * reports, per group, each one it had not yet been handed or had not acknowledged; under reject,
   * refuses instead when any group is still owed an entry the bound would push out.
   */
  private makeRoom(): RoomOutcome {
    const excess = this.length() - this.policy.capacity + 1;
    if (excess <= 0) return { evicted: 0, lost: [] };
    const victims = all<{ id: number; uid: string }>(this.sql.oldestEntries, excess);
    const lost: LostEvent[] = [];
    for (const victim of victims) {
      for (const { name } of all<{ name: string }>(this.sql.groupsOwed, victim.id, victim.id)) {
        if (this.policy.overflow === 'reject') return { fullAt: victim.uid };
        lost.push({ destination: name, uid: victim.uid });
      }
    }
    const last = victims[victims.length - 1] as { id: number };
    this.sql.dropEntries.run(last.id);
    // An evicted entry can no longer be handed to anyone: its pending deliveries went with it (as lost).
    this.sql.dropPendingOf.run(last.id);
    this.sql.countStat.run('evicted', victims.length);
    for (const { destination } of lost) this.sql.countStat.run(`lost:${destination}`, 1);
    return { evicted: victims.length, lost };
  }

  /** Records the uid in its hour bucket, extending the bucket's life to this uid's expiry. */
  private rememberUid(uid: string, place: DedupPlacement, entryId: number, nowMs: number): void {
    const latest = one<{ generation: number; expireAt: number }>(this.sql.latestBucket, place.bucket);
    let generation: number;
    if (latest && latest.expireAt > nowMs) {
      generation = latest.generation;
      this.sql.extendBucket.run(place.expireAtMs, place.bucket, generation);
    } else {
      generation = latest ? latest.generation + 1 : 0;
      this.sql.insertBucket.run(place.bucket, generation, place.expireAtMs);
    }
    this.sql.rememberUid.run(uid, place.bucket, generation, entryId);
  }

  /**
   * Deletes the rows of expired bucket generations, a batch at a time. Only rows that the dedup
   * check already ignores (their generation has expired) are touched, so purging can never make a
   * uid still inside its window look new.
   */
  private purgeExpired(nowMs: number): void {
    if (nowMs < this.nextPurgeAtMs) return;
    let budget = PURGE_BATCH;
    for (;;) {
      const expired = one<{ bucket: number; generation: number }>(this.sql.expiredBucket, nowMs);
      if (!expired) {
        this.nextPurgeAtMs = nowMs + PURGE_INTERVAL_MS;
        return;
      }
      budget -= Number(this.sql.purgeSeen.run(expired.bucket, expired.generation, budget).changes);
      // Budget spent: the next append carries on (nextPurgeAtMs stays due).
      if (budget <= 0) return;
      this.sql.dropBucket.run(expired.bucket, expired.generation);
    }
  }

  /** Entries leave only from the oldest end, so the ids in the table are one contiguous range. */
  private bounds(): { oldest: number | null; newest: number | null } {
    return one<{ oldest: number | null; newest: number | null }>(this.sql.bounds)!;
  }

  private length(): number {
    const { oldest, newest } = this.bounds();
    return oldest === null || newest === null ? 0 : newest - oldest + 1;
  }

  private deliverNew(group: string, consumer: string, count: number): StoredEntry[] {
    const found = one<{ lastDelivered: number }>(this.sql.group, group);
    if (!found) throw KCR_ERR_NO_GROUP(group);
    const rows = all<EntryRow>(this.sql.entriesAfter, found.lastDelivered, count);
    if (rows.length === 0) return [];
    const now = Date.now();
    for (const row of rows) this.sql.addPending.run(group, row.id, consumer, now);
    this.sql.setLastDelivered.run((rows[rows.length - 1] as EntryRow).id, group);
    return rows.map((row) => toEntry(row, 1));
  }

  /** Queues a write for the next group commit; it resolves once committed (fsynced). */
  private write<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(KCR_ERR_STORE_UNAVAILABLE('the embedded store is closed'));
    return this.commits.run(work);
  }

  /** Reads run at once: with one connection and synchronous commits they only ever see committed data. */
  private guard<T>(work: () => T): T {
    if (this.closed) throw KCR_ERR_STORE_UNAVAILABLE('the embedded store is closed');
    try {
      return work();
    } catch (err) {
      throw asStoreError(err);
    }
  }
}

/** A storage failure (disk full, I/O error) becomes KCR_ERR_STORE_UNAVAILABLE: 503, never 200. */
function asStoreError(err: unknown): unknown {
  if ((err as { code?: string }).code !== 'ERR_SQLITE_ERROR') return err;
  return KCR_ERR_STORE_UNAVAILABLE((err as Error).message);
}

function all<T>(statement: StatementSync, ...params: SQLInputValue[]): T[] {
  return statement.all(...params) as unknown as T[];
}

function one<T>(statement: StatementSync, ...params: SQLInputValue[]): T | undefined {
  return statement.get(...params) as unknown as T | undefined;
}

function toEntry(row: EntryRow, deliveries: number): StoredEntry {
  return { id: String(row.id), event: JSON.parse(row.event) as CanonicalEvent, body: row.event, deliveries };
}

/** Ids handed out by this store are decimal row ids; anything else is a caller's bug. */
function positionOf(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`"${id}" is not an id of the embedded store`);
  return n;
}
