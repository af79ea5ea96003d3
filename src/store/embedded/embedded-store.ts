// The embedded event store: node:sqlite in DATA_DIR, for a relay that runs as ONE process. Same
// semantics as the Redis store, from the same parts: dedup + append (./dedup-append.ts),
// quarantine, consumer groups (./consumer-groups.ts); what Redis does in one Lua script or MULTI is
// one atomic write here (a savepoint of a group commit, ./group-commit.ts).
import type { CanonicalEvent } from '../../event/canonical.js';
import type {
  AppendOutcome,
  BufferPolicy,
  Claimed,
  DeadLetter,
  DeadLetterInfo,
  EventStore,
  GroupState,
  LookupOutcome,
  QuarantinedBody,
  QuarantineRecord,
  Resumed,
  StoredEntry,
  StoreStatus,
} from '../event-store.js';
import { EmbeddedConsumerGroups } from './consumer-groups.js';
import { EmbeddedDedupAppend } from './dedup-append.js';
import { EmbeddedDb } from './embedded-db.js';
import type { EmbeddedSync } from './open-database.js';
import { EmbeddedQuarantine } from './quarantine.js';
import { RingBuffer } from './ring-buffer.js';

export class EmbeddedEventStore implements EventStore {
  private readonly appends: EmbeddedDedupAppend;
  private readonly quarantined: EmbeddedQuarantine;
  private readonly groups: EmbeddedConsumerGroups;

  /** `db` is the store's; other parts (the embedded logout bus) may write through it until close(). */
  constructor(
    readonly db: EmbeddedDb,
    policy: BufferPolicy,
  ) {
    const ring = new RingBuffer(db);
    this.appends = new EmbeddedDedupAppend(db, ring, policy);
    this.quarantined = new EmbeddedQuarantine(db, policy);
    this.groups = new EmbeddedConsumerGroups(db, ring);
  }

  /** Opens (creating if needed) the store in `dataDir`; refuses when another process holds it. */
  static open(dataDir: string, policy: BufferPolicy, sync: EmbeddedSync = 'full'): EmbeddedEventStore {
    return new EmbeddedEventStore(EmbeddedDb.open(dataDir, sync), policy);
  }

  /** Absolute DATA_DIR. */
  get dataDir(): string {
    return this.db.dataDir;
  }

  append(event: CanonicalEvent, nowMs: number): Promise<AppendOutcome> {
    return this.appends.append(event, nowMs);
  }

  lookup(uid: string): Promise<LookupOutcome> {
    return this.appends.lookup(uid);
  }

  quarantine(record: QuarantineRecord): Promise<void> {
    return this.quarantined.quarantine(record);
  }

  listQuarantine(count: number): Promise<QuarantinedBody[]> {
    return this.quarantined.listQuarantine(count);
  }

  ensureGroup(group: string, from: 'start' | 'end'): Promise<void> {
    return this.groups.ensureGroup(group, from);
  }

  readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    return this.groups.readNew(group, consumer, count, blockMs);
  }

  claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Claimed> {
    return this.groups.claimStale(group, consumer, minIdleMs, count);
  }

  resumePending(group: string, consumer: string, afterId: string, count: number, exclude: ReadonlySet<string>): Promise<Resumed> {
    return this.groups.resumePending(group, consumer, afterId, count, exclude);
  }

  touch(group: string, consumer: string, ids: string[]): Promise<void> {
    return this.groups.touch(group, consumer, ids);
  }

  ack(group: string, ids: string[]): Promise<void> {
    return this.groups.ack(group, ids);
  }

  deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<void> {
    return this.groups.deadLetter(group, entry, info, nowMs);
  }

  listDeadLetters(group: string, count: number, afterId?: string | null): Promise<DeadLetter[]> {
    return this.groups.listDeadLetters(group, count, afterId);
  }

  removeDeadLetters(group: string, ids: string[]): Promise<void> {
    return this.groups.removeDeadLetters(group, ids);
  }

  scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    return this.groups.scan(afterId, count);
  }

  groupState(group: string): Promise<GroupState> {
    return this.groups.groupState(group);
  }

  bufferLength(): Promise<number> {
    return this.groups.bufferLength();
  }

  async status(): Promise<StoreStatus> {
    const status = { store: 'embedded', singleReplica: true } as const;
    if (this.db.isClosed) return { ...status, reachable: false, detail: 'closed' };
    try {
      this.db.read(() => undefined);
      return { ...status, reachable: true };
    } catch (err) {
      return { ...status, reachable: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
