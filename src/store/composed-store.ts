// What both stores share: an EventStore made of its parts (ingest writes, quarantine, consumer
// groups, replay jobs, catch-up sources), each part doing one job; a store only says how to append and look up, and how it reports
// and closes. The delegation lives here once.
import type { CanonicalEvent } from '../event/canonical.js';
import type {
  AppendOptions,
  AppendOutcome,
  Claimed,
  ConsumerStore,
  DeadLetter,
  DeadLetterInfo,
  EventStore,
  GroupOptions,
  GroupState,
  JobRecord,
  JobStore,
  LookupOutcome,
  QuarantinedBody,
  QuarantineRecord,
  Resumed,
  SourceRecord,
  SourceStore,
  StoredEntry,
  StoreStatus,
} from './event-store.js';

export interface QuarantinePart {
  quarantine(record: QuarantineRecord): Promise<number>;
  listQuarantine(count: number): Promise<QuarantinedBody[]>;
}

export abstract class ComposedEventStore implements EventStore {
  protected constructor(
    private readonly quarantined: QuarantinePart,
    private readonly groups: ConsumerStore,
    private readonly jobs: JobStore,
    private readonly sources: SourceStore,
  ) {}

  abstract append(event: CanonicalEvent, nowMs: number, options?: AppendOptions): Promise<AppendOutcome>;
  abstract bufferBytes(): Promise<number>;
  abstract lookup(uid: string): Promise<LookupOutcome>;
  abstract status(): Promise<StoreStatus>;
  abstract close(): Promise<void>;

  quarantine(record: QuarantineRecord): Promise<number> {
    return this.quarantined.quarantine(record);
  }

  listQuarantine(count: number): Promise<QuarantinedBody[]> {
    return this.quarantined.listQuarantine(count);
  }

  ensureGroup(group: string, from: 'start' | 'end', options?: GroupOptions): Promise<void> {
    return this.groups.ensureGroup(group, from, options);
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

  deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<number> {
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

  createJob(job: JobRecord, owner: string, leaseUntil: number): Promise<void> {
    return this.jobs.createJob(job, owner, leaseUntil);
  }

  getJob(id: string): Promise<string | null> {
    return this.jobs.getJob(id);
  }

  saveJob(job: JobRecord, owner: string, running: boolean, leaseUntil: number, nowMs: number): Promise<boolean> {
    return this.jobs.saveJob(job, owner, running, leaseUntil, nowMs);
  }

  claimJob(owner: string, nowMs: number, leaseUntil: number, exclude: readonly string[]): Promise<JobRecord | null> {
    return this.jobs.claimJob(owner, nowMs, leaseUntil, exclude);
  }

  leaseSource(name: string, owner: string, nowMs: number, leaseUntil: number): Promise<SourceRecord> {
    return this.sources.leaseSource(name, owner, nowMs, leaseUntil);
  }

  saveSource(name: string, owner: string, leaseUntil: number, parts: Record<string, string>): Promise<boolean> {
    return this.sources.saveSource(name, owner, leaseUntil, parts);
  }
}
