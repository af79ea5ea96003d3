// The Redis event store, assembled from its parts: dedup + append (./dedup-append.ts) per partition,
// quarantine, consumer groups over every partition (./consumer-groups.ts) and their blocking
// connections. An event goes to the partition of its uid (keys.ts, partitionOf), or of its dedup
// key when it has one: its dedup hashes, its ring buffer entry and its lookups all live there.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { logConnectionErrors, type RedisClient } from '../../backend/redis/connect.js';
import { AppendSignals } from '../append-signal.js';
import { ComposedEventStore } from '../composed-store.js';
import type { AppendOptions, AppendOutcome, BufferPolicy, LookupOutcome, StoreStatus } from '../event-store.js';
import { BlockingConnections } from '../../backend/redis/blocking-connections.js';
import { RedisConsumerGroups } from './consumer-groups.js';
import { RedisDedupAppend, type ReplicaWait } from './dedup-append.js';
import { RedisJobs } from './jobs.js';
import { jobKeys, partitionKeys, partitionOf } from './keys.js';
import { RedisQuarantine } from './quarantine.js';
import { RedisSources } from './sources.js';
import type { Tagging } from '../tags.js';
import { KCR_ERR_STORE_LAYOUT, type KcrError } from '../../errors.js';
import { verifyLayout } from './layout.js';
import { readReplication } from './replication.js';
import { redisCall } from '../../backend/redis/redis-call.js';

export interface RedisStoreOptions {
  policy: BufferPolicy;
  prefix: string;
  /** PARTITIONS: BUFFER_CAPACITY is shared among them, so it stays the total bound. */
  partitions: number;
  /** REDIS_WAIT_REPLICAS (null when 0). */
  wait: ReplicaWait | null;
  /** The tags of each appended event (store/tags.ts); none without it. */
  tagging?: Tagging | undefined;
  log?: FastifyBaseLogger | undefined;
}

export class RedisEventStore extends ComposedEventStore {
  private readonly appends: RedisDedupAppend[];
  private readonly blocking: BlockingConnections;
  private layoutChecked: Promise<void> | null = null;

  constructor(
    private readonly client: RedisClient,
    private readonly options: RedisStoreOptions,
  ) {
    const { policy, partitions, log } = options;
    const parts = Array.from({ length: partitions }, (_, p) => partitionKeys(options.prefix, p));
    // Cluster routes the same single-slot commands: typed as a standalone client.
    const redis = client as Redis;
    const blocking = new BlockingConnections(client, log);
    const share = {
      ...policy,
      capacity: Math.max(1, Math.floor(policy.capacity / partitions)),
      maxBytes: Math.floor(policy.maxBytes / partitions),
    };
    const signals = new AppendSignals();
    super(
      new RedisQuarantine(redis, parts[0]!, policy),
      new RedisConsumerGroups(redis, parts, blocking, share.capacity, signals),
      new RedisJobs(redis, jobKeys(options.prefix)),
      new RedisSources(redis, options.prefix),
    );
    this.blocking = blocking;
    this.appends = parts.map((keys) => new RedisDedupAppend(client, keys, share, options.wait, options.tagging?.tagsOf, signals));
    if (log) logConnectionErrors(client, log);
  }

  async append(event: CanonicalEvent, nowMs: number, options?: AppendOptions): Promise<AppendOutcome> {
    await this.checkLayout();
    // Every copy of a keyed event must meet its first copy's dedup record, whatever uid it was given.
    return this.partitionOf(options?.dedup?.key ?? event.uid).append(event, nowMs, options);
  }

  /**
   * Whether the data under KEY_PREFIX has this PARTITIONS, and brings the data of an older relay
   * up to date (layout.ts): once, before the first write; retried while Redis is unreachable; a mismatch refuses every write (503) for good.
   */
  checkLayout(): Promise<void> {
    this.layoutChecked ??= redisCall(() =>
      verifyLayout(this.client, this.options.prefix, this.options.partitions, this.options.tagging?.legacy),
    ).catch((err: unknown) => {
      if ((err as KcrError).code === KCR_ERR_STORE_LAYOUT.code)
        this.options.log?.error({ err: (err as Error).message }, 'refusing to write: PARTITIONS mismatch');
      else this.layoutChecked = null;
      throw err;
    });
    return this.layoutChecked;
  }

  async bufferBytes(): Promise<number> {
    const perPartition = await Promise.all(this.appends.map((a) => a.bytes()));
    return perPartition.reduce((sum, n) => sum + n, 0);
  }

  /**
   * An event appended with a dedup key lives in the key's partition, which its uid does not tell:
   * a uid its own partition does not know is looked for in the others (a lookup is an operator's
   * request, not a hot path).
   */
  async lookup(uid: string): Promise<LookupOutcome> {
    const own = this.partitionOf(uid);
    const found = await own.lookup(uid);
    if (found.status !== 'unknown' || this.appends.length === 1) return found;
    const others = await Promise.all(this.appends.filter((p) => p !== own).map((p) => p.lookup(uid)));
    return others.find((o) => o.status === 'found') ?? others.find((o) => o.status === 'evicted') ?? found;
  }

  async status(): Promise<StoreStatus> {
    const store = 'nodes' in this.client ? 'redis-cluster' : 'redis';
    try {
      await redisCall(() => this.client.ping());
      return { store, reachable: true, partitions: this.options.partitions, replication: await readReplication(this.client) };
    } catch (err) {
      return { store, reachable: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.blocking.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private partitionOf(key: string): RedisDedupAppend {
    return this.appends[partitionOf(key, this.appends.length)]!;
  }
}
