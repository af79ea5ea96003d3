// The store stage's contract: what ingest (and later every consumer of the ring buffer) needs from
// storage. Implemented by the Redis store (production, many replicas) and the embedded store.
import type { CanonicalEvent } from '../event/canonical.js';
import type { Replication } from './redis/replication.js';
import type { Tags } from './tags.js';

/** An event the ring buffer's bound pushed out before it was ever handed to `destination`. */
export interface LostEvent {
  destination: string;
  uid: string;
}

export type AppendOutcome =
  | { status: 'accepted'; late: boolean; evicted: number; lost: LostEvent[] }
  | { status: 'duplicate' }
  /** Buffer full under BUFFER_OVERFLOW=reject: nothing stored, the caller answers 503. */
  | { status: 'full'; oldestUid: string };

export type LookupOutcome =
  | { status: 'found'; event: CanonicalEvent }
  /** Accepted once, but no longer in the ring buffer. */
  | { status: 'evicted' }
  | { status: 'unknown' };

/** An authenticated body that could not be decoded: kept whole so that nothing is lost. */
export interface QuarantineRecord {
  node: string;
  receivedAt: string;
  remoteAddress: string;
  errorCode: string;
  errorMessage: string;
  body: Buffer;
}

/** One event in the ring buffer, as handed to a consumer (a forwarding destination, a publisher). */
export interface StoredEntry {
  /** Position in the ring buffer: strictly increasing, opaque outside the store. */
  id: string;
  /** The event's uid, known without parsing `body`. */
  readonly uid: string;
  /** Parsed from `body` on first use (stored-entry.ts): a destination without a filter never needs it. */
  readonly event: CanonicalEvent;
  /** The event's JSON exactly as stored: forwarded as is, so it is neither re-serialized nor re-signed differently. */
  body: string;
  /** Times this entry has been handed to a consumer of the group (1 on first delivery; 0 from scan). */
  deliveries: number;
}

/** Entries taken over from the pending list of a group (claimStale, resumePending). */
export interface Claimed {
  entries: StoredEntry[];
  /**
   * Pending entries whose event the ring buffer's bound had pushed out before anyone handled them:
   * released from the group, and lost to it (counted here, not when they were evicted, since the
   * consumer that held one in memory may still have delivered it).
   */
  gone: number;
}

export interface Resumed extends Claimed {
  /** The last pending id examined: the next page starts after it; null when there is no more. */
  cursor: string | null;
}

export interface DeadLetterInfo {
  attempts: number;
  /** Last HTTP status from the destination, null when none (connection error, timeout). */
  lastStatus: number | null;
  lastError: string;
}

export interface DeadLetter extends DeadLetterInfo {
  /** Position in the group's dead-letter list (not in the ring buffer). */
  id: string;
  event: CanonicalEvent;
  /** The event's JSON exactly as first stored: a redrive sends these bytes. */
  body: string;
  deadAt: string;
}

export interface GroupState {
  group: string;
  /** Handed out but not yet acknowledged. */
  pending: number;
  /** Entries in the buffer never yet handed to this group. */
  lag: number;
  /** Dead letters waiting for a redrive. */
  deadLetters: number;
  /** `lag` per partition of the ring buffer (PARTITIONS; one entry without partitions). */
  partitionLag: number[];
  /** A group created `only` for a tag: the entries without it the store acknowledged for it, never handed out. */
  skipped?: number;
}

export interface GroupOptions {
  /**
   * Hand the group only entries whose tags (AppendOptions) carry this one, or do not say: the
   * others are acknowledged inside the store as the group reads past them (counted in `skipped`),
   * never parsed nor owed (the bound never counts them lost to it). Unset: every entry.
   */
  only?: string;
  /** Told, in this process, how many entries its reads of the group skipped (a forwarder counts them as filtered). */
  onSkipped?: (count: number) => void;
}

/**
 * Consumer groups over the ring buffer: each destination (and each publisher) progresses
 * independently; entries are handed out once per group, and stay pending until acknowledged,
 * so a consumer that dies mid-work leaves them to be claimed by another.
 */
export interface ConsumerStore {
  /**
   * Creates the group if absent: `start` = everything still buffered, `end` = only later events.
   * Records `options` for it either way (a group keeps the filter of its latest creation).
   */
  ensureGroup(group: string, from: 'start' | 'end', options?: GroupOptions): Promise<void>;
  /**
   * Up to `count` entries never handed to this group, oldest first; waits up to `blockMs` when none.
   * Throws KCR_ERR_NO_GROUP (also from claimStale) when the group does not exist.
   */
  readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]>;
  /** Takes over entries pending for more than `minIdleMs` (their consumer died or hangs), oldest first. */
  claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Claimed>;
  /**
   * Hands `consumer` its own pending entries again, after `afterId` ('0' = from the first), up to
   * `count` examined, skipping `exclude` (entries it is still working on): what a replica restarted
   * under the same name, or one whose read reply was lost in an outage, resumes at once.
   */
  resumePending(group: string, consumer: string, afterId: string, count: number, exclude: ReadonlySet<string>): Promise<Resumed>;
  /** Resets the idle time of entries `consumer` still works on (long retries), so nobody claims them. */
  touch(group: string, consumer: string, ids: string[]): Promise<void>;
  ack(group: string, ids: string[]): Promise<void>;
  /**
   * Atomically: acknowledge the entry and append it to the group's dead letters. Dead letters are
   * bounded like the ring buffer (BUFFER_CAPACITY per group): returns how many of the oldest were
   * dropped to make room, for the caller to count and log.
   */
  deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<number>;
  /** Oldest dead letters first, after `afterId` (a dead letter's id) when given. */
  listDeadLetters(group: string, count: number, afterId?: string | null): Promise<DeadLetter[]>;
  removeDeadLetters(group: string, ids: string[]): Promise<void>;
  /** Walks the ring buffer oldest first (for replays): entries after `afterId` (null = from the oldest). */
  scan(afterId: string | null, count: number): Promise<StoredEntry[]>;
  groupState(group: string): Promise<GroupState>;
  /** Entries in the ring buffer now. */
  bufferLength(): Promise<number>;
}

export interface QuarantinedBody extends QuarantineRecord {
  /** Position in the quarantine (newest highest). */
  id: string;
}

export interface StoreStatus {
  store: 'redis' | 'redis-cluster' | 'embedded';
  reachable: boolean;
  /** Redis: PARTITIONS of the key layout. */
  partitions?: number;
  /** Redis: how far its replicas lag (src/store/redis/replication.ts). */
  replication?: Replication;
  /** true when only this one process may use the store (embedded): scale out with Redis instead. */
  singleReplica?: boolean;
  detail?: string;
}

/**
 * What deduplicates an event that came without a snowflake of its own (Phase Two's event id, a
 * Security Event Token's jti): its uid is then the relay's, new on every resend, so the sender's id
 * decides instead. Kept in the same dedup records as uids, which are decimal: `key` never is.
 */
export interface DedupKey {
  /** The sender's id, namespaced (`phasetwo:…`, `ssf:…`): never a decimal number, so never a uid. */
  key: string;
  /** Epoch ms the key's window counts from, the same on every resend (Keycloak's event time, a SET's iat). */
  timeMs: number;
}

export interface AppendOptions {
  /** The entry's tags; unset: the store's tagsOf (store/tags.ts) decides, or none are known. */
  tags?: Tags;
  /**
   * Deduplicate on this key instead of the uid: an append whose key was seen within DEDUP_WINDOW of
   * `timeMs` is a duplicate, whatever its uid; `late` is then judged on `timeMs`. The uid is still
   * remembered, so lookup(uid) finds the event. Unset: the uid is the key (every emitter event).
   */
  dedup?: DedupKey;
}

/** Finished replay and redrive jobs the store keeps (the newest): their state stays readable a while. */
export const KEEP_FINISHED_JOBS = 100;

/** A replay or redrive job as the store keeps it: what its runner wrote, and who runs it. */
export interface JobRecord {
  id: string;
  /** The job's spec, progress and checkpoint, as its runner (src/forward/replay.ts) writes them: opaque to the store. */
  data: string;
}

/**
 * Replay and redrive jobs kept in the store, so that every replica sees them and a job outlives the
 * replica running it: a running job is held by one replica (`owner`) under a lease it renews as it
 * saves; a job whose lease lapsed is taken over by another replica, from its last checkpoint.
 */
export interface JobStore {
  /** Records a new job, running, held by `owner` until `leaseUntil` (unix ms). */
  createJob(job: JobRecord, owner: string, leaseUntil: number): Promise<void>;
  /** The job's data; null when there is no such job (never created, or finished long ago). */
  getJob(id: string): Promise<string | null>;
  /**
   * Saves the job's data while `owner` still holds it, and renews its lease to `leaseUntil` (0: let
   * it go, for another replica to take over at once); `running: false` finishes it (the store keeps
   * the newest KEEP_FINISHED_JOBS finished ones). False when another replica has taken it over: the
   * caller stops running it.
   */
  saveJob(job: JobRecord, owner: string, running: boolean, leaseUntil: number, nowMs: number): Promise<boolean>;
  /**
   * Takes over one running job whose lease lapsed before `nowMs`, or one `owner` held (a replica
   * restarted under its name) that is not in `exclude` (the jobs it runs now): held by `owner` until
   * `leaseUntil` from then on. Null when there is none.
   */
  claimJob(owner: string, nowMs: number, leaseUntil: number, exclude: readonly string[]): Promise<JobRecord | null>;
}

/** A catch-up source as the store keeps it (SourceStore). */
export interface SourceRecord {
  /** The replica holding its lease (the last one, once it lapsed); null: never taken. */
  owner: string | null;
  /** Unix ms; 0 when let go or never taken. */
  leaseUntil: number;
  /** Its poller's named parts (each list's checkpoint, the last poll's outcome), as it wrote them: opaque to the store. */
  parts: Record<string, string>;
}

/**
 * Catch-up sources (KEYCLOAK_SOURCES) kept in the store, as replay jobs are: each source's
 * checkpoints outlive the replica polling it, and a lease lets one replica at a time poll it. A
 * replica that stops renewing (it died) is replaced once the lease lapses; the same replica
 * restarted under its name takes its own lease back at once.
 */
export interface SourceStore {
  /**
   * Takes (or renews) the source's lease for `owner` until `leaseUntil` (unix ms) when it is free
   * (never taken, let go, lapsed before `nowMs`) or already `owner`'s. Returns the source as it is
   * afterwards, `owner` saying who holds it: the caller polls only when that is itself.
   */
  leaseSource(name: string, owner: string, nowMs: number, leaseUntil: number): Promise<SourceRecord>;
  /**
   * Writes `parts` (the others stay) and renews the lease to `leaseUntil` (0: let it go, for
   * another replica to take at once), only while `owner` holds it. False when another replica has
   * taken it over: the caller stops polling it.
   */
  saveSource(name: string, owner: string, leaseUntil: number, parts: Record<string, string>): Promise<boolean>;
}

export interface EventStore extends ConsumerStore, JobStore, SourceStore {
  /**
   * Atomically: dedup check on the uid (or options.dedup), record it, append the event to the ring buffer, making
   * room under both bounds (BUFFER_CAPACITY entries, BUFFER_MAX_BYTES bytes of event JSON).
   */
  append(event: CanonicalEvent, nowMs: number, options?: AppendOptions): Promise<AppendOutcome>;
  /** Bytes of event JSON in the ring buffer now (what BUFFER_MAX_BYTES bounds). */
  bufferBytes(): Promise<number>;
  /**
   * Keeps the body, then drops the oldest bodies while the quarantine holds more than
   * BUFFER_CAPACITY bodies or QUARANTINE_MAX_BYTES bytes (the new one always stays): returns how
   * many were dropped, for the caller to count and log.
   */
  quarantine(record: QuarantineRecord): Promise<number>;
  /** The newest quarantined bodies first, for an operator to look at. */
  listQuarantine(count: number): Promise<QuarantinedBody[]>;
  lookup(uid: string): Promise<LookupOutcome>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}

export interface BufferPolicy {
  /** BUFFER_CAPACITY: entries of the ring buffer (and bodies of the quarantine). */
  capacity: number;
  /** BUFFER_MAX_BYTES: bytes of event JSON in the ring buffer. */
  maxBytes: number;
  overflow: 'drop-oldest' | 'reject';
  dedupWindowMs: number;
  /** QUARANTINE_MAX_BYTES: bytes of quarantined bodies (as received); the quarantine always drops its oldest. */
  quarantineMaxBytes: number;
}
