// Where a uid is deduplicated (embedded): one write, atomic in its savepoint of a group commit,
// checks the uid (or the dedup key given instead) in its hour bucket, makes room under the bound and appends the event, as
// ../redis/lua/appendEvents-4.lua does for each event in Redis; the same buckets answer lookups by uid.
import type { StatementSync } from 'node:sqlite';
import type { CanonicalEvent } from '../../event/canonical.js';
import { placeUid, type DedupPlacement } from '../dedup-window.js';
import type { AppendSignals } from '../append-signal.js';
import type { AppendOptions, AppendOutcome, BufferPolicy, LookupOutcome, LostEvent } from '../event-store.js';
import { encodeTags, lacksTag, type TagsOf } from '../tags.js';
import { all, oldestRows, one, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';
import type { RingBuffer } from './ring-buffer.js';

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

  oldestEntries: `SELECT id, uid, tags, octet_length(event) AS bytes FROM events
    WHERE id > ? ORDER BY id LIMIT ?`,
  stat: 'SELECT value FROM stats WHERE name = ?',
  unreadBy: 'SELECT name, only_tag AS only FROM consumer_groups WHERE last_delivered < ? ORDER BY name',
  pendingIn: 'SELECT grp FROM pending WHERE entry_id = ? LIMIT 1',
  dropEntries: 'DELETE FROM events WHERE id <= ?',
  countStat: 'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
  insertEvent: 'INSERT INTO events (uid, event, tags) VALUES (?, ?, ?)',
  entryEvent: 'SELECT event FROM events WHERE id = ?',
} as const;

type RoomOutcome = { evicted: number; lost: LostEvent[] } | { fullAt: string };
type Victim = { id: number; uid: string; tags: string | null; bytes: number };

export class EmbeddedDedupAppend {
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;
  private nextPurgeAtMs = 0;

  constructor(
    private readonly db: EmbeddedDb,
    private readonly ring: RingBuffer,
    private readonly policy: BufferPolicy,
    private readonly tagsOf: TagsOf | undefined,
    /** Notified of each append, for the readers waiting on it. */
    private readonly signals: AppendSignals,
  ) {
    this.sql = db.prepare(STATEMENTS);
  }

  async append(event: CanonicalEvent, nowMs: number, options: AppendOptions = {}): Promise<AppendOutcome> {
    const place = placeUid(Date.parse(event.emittedAt), nowMs, this.policy.dedupWindowMs);
    const { dedup } = options;
    const keyPlace = dedup ? placeUid(dedup.timeMs, nowMs, this.policy.dedupWindowMs) : place;
    const body = JSON.stringify({ ...event, late: keyPlace.late } satisfies CanonicalEvent);
    const tags = options.tags ?? this.tagsOf?.(event);
    const outcome = await this.db.write((): AppendOutcome => {
      this.purgeExpired(nowMs);
      if (this.sql.seenEntry.get(dedup?.key ?? event.uid, nowMs)) return { status: 'duplicate' };
      const size = Buffer.byteLength(body);
      const room = this.makeRoom(size);
      if ('fullAt' in room) return { status: 'full', oldestUid: room.fullAt };
      const entryId = Number(this.sql.insertEvent.run(event.uid, body, tags ? encodeTags(tags) : null).lastInsertRowid);
      this.sql.countStat.run('bytes', size);
      this.rememberUid(event.uid, place, entryId, nowMs);
      // The key beside the uid (never decimal, so never mistaken for one), under its own time.
      if (dedup) this.rememberUid(dedup.key, keyPlace, entryId, nowMs);
      return { status: 'accepted', late: keyPlace.late, ...room };
    });
    if (outcome.status === 'accepted') this.signals.appended(tags);
    return outcome;
  }

  async lookup(uid: string): Promise<LookupOutcome> {
    return this.db.read(() => {
      // No caller's clock here: expiry on the wall clock, as Redis expires its seen hashes.
      const seen = one<{ entryId: number }>(this.sql.seenEntry, uid, Date.now());
      if (!seen) return { status: 'unknown' };
      const row = one<{ event: string }>(this.sql.entryEvent, seen.entryId);
      return row ? { status: 'found', event: JSON.parse(row.event) as CanonicalEvent } : { status: 'evicted' };
    });
  }

  /** Bytes of event JSON in the ring buffer (the stats counter every append and eviction keeps current). */
  bytes(): number {
    return this.db.read(() => this.storedBytes());
  }

  private storedBytes(): number {
    return one<{ value: number }>(this.sql.stat, 'bytes')?.value ?? 0;
  }

  /**
   * Makes room for one entry of `size` bytes: pushes out the oldest entries until both bounds
   * (capacity, maxBytes) hold with it, or the buffer is empty (the new entry is always kept). Under
   * drop-oldest, reports per group each evicted entry it had never been handed (an entry handed
   * out stays pending: its consumer may still deliver it, and a claim that finds it gone counts
   * it); under reject, refuses instead when any group has yet to handle an entry the bounds would
   * push out.
   */
  private makeRoom(size: number): RoomOutcome {
    const length = this.ring.length();
    const excess = length - this.policy.capacity + 1;
    const bytes = this.storedBytes();
    let victims = 0;
    let freed = 0;
    let through = 0;
    const overBound = (): boolean => victims < length && (victims < excess || bytes - freed + size > this.policy.maxBytes);
    if (!overBound()) return { evicted: 0, lost: [] };
    const lost: LostEvent[] = [];
    for (const victim of oldestRows<Victim>(this.sql.oldestEntries, Math.max(excess, 16))) {
      if (!overBound()) break;
      // A group reading `only` a tag is never handed an entry known to lack it: it owes none.
      const unread = all<{ name: string; only: string | null }>(this.sql.unreadBy, victim.id).filter(
        ({ only }) => only === null || !lacksTag(victim.tags, only),
      );
      if (this.policy.overflow === 'reject' && (unread.length > 0 || one(this.sql.pendingIn, victim.id))) return { fullAt: victim.uid };
      for (const { name } of unread) lost.push({ destination: name, uid: victim.uid });
      victims += 1;
      freed += victim.bytes;
      through = victim.id;
    }
    this.sql.dropEntries.run(through);
    this.sql.countStat.run('evicted', victims);
    this.sql.countStat.run('bytes', -freed);
    for (const { destination } of lost) this.sql.countStat.run(`lost:${destination}`, 1);
    return { evicted: victims, lost };
  }

  /** Records the uid (or a dedup key) in its hour bucket, extending the bucket's life to its expiry. */
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
}
