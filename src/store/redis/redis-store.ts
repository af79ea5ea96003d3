// The Redis event store, assembled from its parts: dedup + append (./dedup-append.ts), quarantine,
// consumer groups over the ring buffer (./consumer-groups.ts) and their blocking connections.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
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
import { BlockingConnections } from './blocking-connections.js';
import { logConnectionErrors, type RedisClient } from '../../redis/connect.js';
import { RedisConsumerGroups } from './consumer-groups.js';
import { RedisDedupAppend } from './dedup-append.js';
import { partitionKeys } from './keys.js';
import { RedisQuarantine } from './quarantine.js';
import { redisCall } from './redis-call.js';

export class RedisEventStore implements EventStore {
  private readonly appends: RedisDedupAppend;
  private readonly quarantined: RedisQuarantine;
  private readonly groups: RedisConsumerGroups;
  private readonly blocking: BlockingConnections;

  constructor(
    private readonly client: RedisClient,
    policy: BufferPolicy,
    prefix: string,
    log?: FastifyBaseLogger,
  ) {
    const keys = partitionKeys(prefix);
    // Cluster routes the same single-slot commands: typed as a standalone client.
    const redis = client as Redis;
    this.blocking = new BlockingConnections(client, log);
    this.appends = new RedisDedupAppend(client, keys, policy);
    this.quarantined = new RedisQuarantine(redis, keys, policy);
    this.groups = new RedisConsumerGroups(redis, keys, this.blocking);
    if (log) logConnectionErrors(client, log);
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
    const store = 'nodes' in this.client ? 'redis-cluster' : 'redis';
    try {
      await redisCall(() => this.client.ping());
      return { store, reachable: true };
    } catch (err) {
      return { store, reachable: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.blocking.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
