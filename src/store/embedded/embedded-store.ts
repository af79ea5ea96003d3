// The embedded event store: node:sqlite in DATA_DIR, for a relay that runs as ONE process. Same
// semantics as the Redis store, from the same parts: dedup + append (./dedup-append.ts),
// quarantine, consumer groups (./consumer-groups.ts), replay jobs (./jobs.ts), catch-up sources (./sources.ts); what Redis does in one Lua script or MULTI is
// one atomic write here (a savepoint of a group commit, ../../backend/sqlite/group-commit.ts).
import type { CanonicalEvent } from '../../event/canonical.js';
import { AppendSignals } from '../append-signal.js';
import { ComposedEventStore } from '../composed-store.js';
import type { AppendOptions, AppendOutcome, BufferPolicy, LookupOutcome, StoreStatus } from '../event-store.js';
import { EmbeddedConsumerGroups } from './consumer-groups.js';
import { EmbeddedDedupAppend } from './dedup-append.js';
import { EmbeddedDb } from '../../backend/sqlite/embedded-db.js';
import { EmbeddedJobs } from './jobs.js';
import type { EmbeddedSync } from '../../backend/sqlite/open-database.js';
import { EmbeddedQuarantine } from './quarantine.js';
import { RingBuffer } from './ring-buffer.js';
import { storeSchema } from './schema.js';
import { EmbeddedSources } from './sources.js';
import type { Tagging } from '../tags.js';

export class EmbeddedEventStore extends ComposedEventStore {
  private readonly appends: EmbeddedDedupAppend;
  private readonly signals: AppendSignals;

  /** `db` is the store's; other stages (a bus) may write through it until close(). */
  constructor(
    readonly db: EmbeddedDb,
    policy: BufferPolicy,
    tagging?: Tagging,
  ) {
    const ring = new RingBuffer(db);
    const signals = new AppendSignals();
    super(
      new EmbeddedQuarantine(db, policy),
      new EmbeddedConsumerGroups(db, ring, policy.capacity, signals),
      new EmbeddedJobs(db),
      new EmbeddedSources(db),
    );
    this.signals = signals;
    this.appends = new EmbeddedDedupAppend(db, ring, policy, tagging?.tagsOf, signals);
  }

  /** Opens (creating or migrating if needed) the store in `dataDir`; refuses when another process holds it. */
  static open(dataDir: string, policy: BufferPolicy, sync: EmbeddedSync = 'full', tagging?: Tagging): EmbeddedEventStore {
    return new EmbeddedEventStore(EmbeddedDb.open(dataDir, sync, storeSchema(tagging?.legacy)), policy, tagging);
  }

  /** Absolute DATA_DIR. */
  get dataDir(): string {
    return this.db.dataDir;
  }

  append(event: CanonicalEvent, nowMs: number, options?: AppendOptions): Promise<AppendOutcome> {
    return this.appends.append(event, nowMs, options);
  }

  async bufferBytes(): Promise<number> {
    return this.appends.bytes();
  }

  lookup(uid: string): Promise<LookupOutcome> {
    return this.appends.lookup(uid);
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
    // Readers waiting for an append see the store closed.
    this.signals.all();
  }
}
