// Consumer groups over the ring buffer (Redis streams): each destination and each publisher
// reads its own group, on the stream of every partition; entries stay pending until acknowledged or
// dead-lettered, and pending entries of a dead consumer are claimed by another (XPENDING + XCLAIM).
// An entry's id says its partition (`<partition>/<stream id>`; the bare stream id with one
// partition, as before partitions existed). One file over the usual size: every operation of the
// ConsumerStore contract is here, sharing that id encoding and the partitions' walk.
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import type { Claimed, ConsumerStore, DeadLetter, DeadLetterInfo, GroupOptions, GroupState, Resumed, StoredEntry } from '../event-store.js';
import { storedEntry } from '../stored-entry.js';
import type { AppendSignals } from '../append-signal.js';
import { checkTag } from '../tags.js';
import type { BlockingConnections } from '../../backend/redis/blocking-connections.js';
import type { PartitionKeys } from './keys.js';
import { asStoreError, fieldsOf, redisCall, replyErrorKind, type RawEntry } from '../../backend/redis/redis-call.js';

/** XPENDING's extended form: id, consumer, idle ms, times delivered. */
type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/**
 * Longest pause between the reads of a group reading `only` a tag while entries without it flow.
 * An entry with the tag that this replica appends ends the pause at once, even one appended during
 * the read before it (AppendSignal.count): so the pause delays only one appended by a replica
 * whose own group reader is not reading (stopped, or restarting). Each read is a round trip that
 * costs both processes a wake-up: at 5 ms they were 5 to 13 % of a busy relay's time
 * (docs/benchmarks-profile.md). Longer would leave more entries unread between reads, which the
 * group's lag shows: up to a pause's worth (kcr_logout_lag 400 at 20,000 events/s; the alert is at 1,000).
 */
const TAGGED_POLL_MS = 20;

/** The Lua command of lua/readTaggedEntries-2.lua, as defined on the client by defineLuaCommands. */
interface ReadTaggedEntries {
  readTaggedEntries(
    stream: string,
    stats: string,
    group: string,
    consumer: string,
    count: number,
    tag: string,
  ): Promise<[read: number, newest: string, ...entries: RawEntry[]]>;
}

/** What one read of one partition handed out, and how many entries it read (more when a filtered group's were skipped). */
interface PartitionRead {
  entries: StoredEntry[];
  read: number;
}

/** Blocking reads of one group still out, and the entries they brought that nobody took yet. */
interface GroupReads {
  inFlight: Map<number, Promise<void>>;
  ready: StoredEntry[];
  failure: Error | undefined;
  /** The partition the next sweep starts with: every partition gets its turn first. */
  next: number;
}

export class RedisConsumerGroups implements ConsumerStore {
  private readonly reads = new Map<string, GroupReads>();
  /** Each group's `only` tag (null: none), as recorded in the partitions' filter hashes: read once per group. */
  private readonly filters = new Map<string, string | null>();
  /** GroupOptions.onSkipped, per group ensured in this process. */
  private readonly skipListeners = new Map<string, (count: number) => void>();

  constructor(
    private readonly redis: Redis,
    private readonly parts: readonly PartitionKeys[],
    private readonly blocking: BlockingConnections,
    /** Dead letters kept per group in each partition (its share of BUFFER_CAPACITY). */
    private readonly deadLetterCapacity: number,
    /** Notified when this process appends an event, for the groups reading `only` a tag. */
    private readonly signals: AppendSignals,
  ) {}

  async ensureGroup(group: string, from: 'start' | 'end', options: GroupOptions = {}): Promise<void> {
    const only = options.only === undefined ? null : checkTag(options.only);
    for (const keys of this.parts) {
      try {
        await this.redis.xgroup('CREATE', keys.events, group, from === 'start' ? '0' : '$', 'MKSTREAM');
      } catch (err) {
        if (replyErrorKind(err) !== 'BUSYGROUP') throw asStoreError(err);
      }
      await redisCall(() => (only === null ? this.redis.hdel(keys.only, group) : this.redis.hset(keys.only, group, only)));
    }
    this.filters.set(group, only);
    if (options.onSkipped) this.skipListeners.set(group, options.onSkipped);
    else this.skipListeners.delete(group);
  }

  /**
   * One partition: a blocking read, as before partitions. Several: a sweep without blocking, from
   * a partition that turns, then (when all are empty) a blocking read on each at once, the first
   * answer returned and later ones kept for the next call.
   */
  async readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    if (this.parts.length === 1) return (await this.readPartition(0, group, consumer, count, blockMs)).entries;
    const reads = this.readsOf(group);
    if (reads.ready.length > 0) return reads.ready.splice(0, count);
    const only = await this.filterOf(group);
    const appendedBefore = only === null ? 0 : this.signals.tagged(only).count;
    // Each partition's share first, so that a busy partition cannot starve the others; then the rest.
    const out: StoredEntry[] = [];
    let read = 0;
    const sweep = async (p: number, n: number): Promise<void> => {
      if (n <= 0) return;
      const got = await this.readPartition(p, group, consumer, n, 0);
      out.push(...got.entries);
      read += got.read;
    };
    const first = reads.next++ % this.parts.length;
    const order = this.parts.map((_keys, i) => (first + i) % this.parts.length);
    const share = Math.ceil(count / this.parts.length);
    for (const p of order) await sweep(p, Math.min(share, count - read));
    for (const p of order) {
      if (read >= count) break;
      await sweep(p, count - read);
    }
    if (out.length > 0 || blockMs <= 0) return out;
    // A blocking read that ended during the sweep left its entries here; waiting on the reads still
    // out would hold them until one of those ends (up to blockMs). From here to the race nothing
    // awaits, so a read ending later is still among those raced.
    if (reads.ready.length > 0) return reads.ready.splice(0, count);
    // A filtered group read only entries it skips, and fewer than it could: it waits as readTagged explains.
    if (read > 0 && read < count) {
      if (only !== null) await this.signals.tagged(only).wait(TAGGED_POLL_MS, appendedBefore);
      return out;
    }
    this.parts.forEach((_keys, p) => {
      if (reads.inFlight.has(p)) return;
      const blocking = this.readPartition(p, group, consumer, count, blockMs).then(
        ({ entries }) => void reads.ready.push(...entries),
        (err: unknown) => void (reads.failure = err instanceof Error ? err : new Error(String(err))),
      );
      reads.inFlight.set(
        p,
        blocking.finally(() => reads.inFlight.delete(p)),
      );
    });
    if (reads.inFlight.size > 0) await Promise.race(reads.inFlight.values());
    if (reads.ready.length === 0 && reads.failure !== undefined) {
      const failure = reads.failure;
      reads.failure = undefined;
      throw failure;
    }
    return reads.ready.splice(0, count);
  }

  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Claimed> {
    const out: Claimed = { entries: [], gone: 0 };
    for (const keys of this.parts) {
      const left = count - out.entries.length;
      if (left <= 0) break;
      const pending = (await redisCall(
        () => this.redis.xpending(keys.events, group, 'IDLE', minIdleMs, '-', '+', left),
        group,
      )) as PendingRow[];
      // XCLAIM re-checks the idle time per entry, so two replicas racing for the same entry cannot both win.
      const claimed = await this.claim(keys, group, consumer, minIdleMs, pending);
      out.entries.push(...claimed.entries);
      out.gone += claimed.gone;
    }
    return out;
  }

  async resumePending(group: string, consumer: string, afterId: string, count: number, exclude: ReadonlySet<string>): Promise<Resumed> {
    // One partition per call: the cursor moves on to the next partition once this one is walked.
    const { partition, streamId } = this.locate(afterId);
    const keys = this.keysOf(partition);
    const start = streamId === '0' ? '-' : `(${streamId}`;
    const pending = (await redisCall(() => this.redis.xpending(keys.events, group, start, '+', count, consumer), group)) as PendingRow[];
    const claimed = await this.claim(
      keys,
      group,
      consumer,
      0,
      pending.filter(([id]) => !exclude.has(this.idOf(partition, id))),
    );
    const last = pending.at(-1)?.[0];
    let cursor: string | null = null;
    if (pending.length === count && last !== undefined) cursor = this.idOf(partition, last);
    else if (partition + 1 < this.parts.length) cursor = this.idOf(partition + 1, '0');
    return { ...claimed, cursor };
  }

  async touch(group: string, consumer: string, ids: string[]): Promise<void> {
    for (const [partition, streamIds] of this.byPartition(ids)) {
      await redisCall(() => this.redis.xclaim(this.keysOf(partition).events, group, consumer, 0, ...streamIds, 'JUSTID'));
    }
  }

  async ack(group: string, ids: string[]): Promise<void> {
    for (const [partition, streamIds] of this.byPartition(ids)) {
      await redisCall(() => this.redis.xack(this.keysOf(partition).events, group, ...streamIds));
    }
  }

  async deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<number> {
    const { partition, streamId } = this.locate(entry.id);
    const keys = this.keysOf(partition);
    // One MULTI on keys of one hash slot: the entry is acknowledged if and only if it is kept as a
    // dead letter, with the bytes first stored, so that a redrive sends exactly them. The exact trim
    // (not `~`) says how many old letters made room.
    const results = await redisCall(() =>
      this.redis
        .multi()
        .xadd(
          keys.dead(group),
          '*',
          'event',
          entry.body,
          'attempts',
          String(info.attempts),
          'lastStatus',
          info.lastStatus === null ? '' : String(info.lastStatus),
          'lastError',
          info.lastError,
          'deadAt',
          new Date(nowMs).toISOString(),
        )
        .xack(keys.events, group, streamId)
        .xtrim(keys.dead(group), 'MAXLEN', this.deadLetterCapacity)
        .exec(),
    );
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw KCR_ERR_STORE_UNAVAILABLE(failed?.[0]?.message ?? 'transaction aborted');
    return Number(results[2]?.[1] ?? 0);
  }

  async listDeadLetters(group: string, count: number, afterId: string | null = null): Promise<DeadLetter[]> {
    return this.walk(
      afterId,
      count,
      (keys) => keys.dead(group),
      (p, raw) => this.toDeadLetters(p, raw),
    );
  }

  async removeDeadLetters(group: string, ids: string[]): Promise<void> {
    for (const [partition, streamIds] of this.byPartition(ids)) {
      await redisCall(() => this.redis.xdel(this.keysOf(partition).dead(group), ...streamIds));
    }
  }

  async scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    return this.walk(
      afterId,
      count,
      (keys) => keys.events,
      (p, raw) => this.toEntries(p, raw, () => 0),
    );
  }

  async groupState(group: string): Promise<GroupState> {
    const states = await Promise.all(this.parts.map((keys) => this.partitionState(keys, group)));
    const state: GroupState = {
      group,
      pending: states.reduce((sum, s) => sum + s.pending, 0),
      lag: states.reduce((sum, s) => sum + s.lag, 0),
      deadLetters: states.reduce((sum, s) => sum + s.deadLetters, 0),
      partitionLag: states.map((s) => s.lag),
    };
    if ((await this.filterOf(group)) === null) return state;
    const skipped = await redisCall(() => Promise.all(this.parts.map((keys) => this.redis.hget(keys.stats, `skipped:${group}`))));
    return { ...state, skipped: skipped.reduce((sum, n) => sum + Number(n ?? 0), 0) };
  }

  async bufferLength(): Promise<number> {
    const lengths = await redisCall(() => Promise.all(this.parts.map((keys) => this.redis.xlen(keys.events))));
    return lengths.reduce((sum, n) => sum + n, 0);
  }

  /**
   * Up to `count` items of the stream `streamOf` names in each partition, after `afterId`: oldest
   * first within each partition, partition after partition (the paging of scan and dead letters).
   */
  private async walk<T>(
    afterId: string | null,
    count: number,
    streamOf: (keys: PartitionKeys) => string,
    toItems: (partition: number, raw: RawEntry[]) => T[],
  ): Promise<T[]> {
    const out: T[] = [];
    const from = afterId === null ? { partition: 0, streamId: null } : this.locate(afterId);
    for (let p = from.partition; p < this.parts.length && out.length < count; p++) {
      const start = p === from.partition && from.streamId !== null ? `(${from.streamId}` : '-';
      const stream = streamOf(this.keysOf(p));
      const raw = (await redisCall(() => this.redis.xrange(stream, start, '+', 'COUNT', count - out.length))) as RawEntry[];
      out.push(...toItems(p, raw));
    }
    return out;
  }

  private async partitionState(keys: PartitionKeys, group: string): Promise<{ pending: number; lag: number; deadLetters: number }> {
    const [groups, deadLetters] = await redisCall(() =>
      Promise.all([
        this.redis.xinfo('GROUPS', keys.events) as Promise<Array<Array<string | number | null>>>,
        this.redis.xlen(keys.dead(group)),
      ]),
    );
    for (const raw of groups) {
      const info = new Map<string, string | number | null>();
      for (let i = 0; i + 1 < raw.length; i += 2) info.set(String(raw[i]), raw[i + 1] ?? null);
      if (info.get('name') !== group) continue;
      return { pending: Number(info.get('pending')), lag: Number(info.get('lag') ?? 0), deadLetters };
    }
    // No group yet: nothing was ever handed to it.
    return { pending: 0, lag: await redisCall(() => this.redis.xlen(keys.events)), deadLetters };
  }

  private async readPartition(partition: number, group: string, consumer: string, count: number, blockMs: number): Promise<PartitionRead> {
    const keys = this.keysOf(partition);
    const only = await this.filterOf(group);
    if (only !== null) return this.readTagged(keys, group, only, consumer, count, blockMs);
    const client = blockMs > 0 ? await this.blocking.for(`${group}#${partition}`, blockMs) : this.redis;
    const args = ['GROUP', group, consumer, 'COUNT', count, ...(blockMs > 0 ? ['BLOCK', blockMs] : []), 'STREAMS', keys.events, '>'];
    const reply = (await redisCall(
      () => (client.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(...args),
      group,
    )) as Array<[string, RawEntry[]]> | null;
    const raw = reply?.[0]?.[1] ?? [];
    return { read: raw.length, entries: this.toEntries(partition, raw, () => 1) };
  }

  /**
   * A group created `only` for a tag reads through lua/readTaggedEntries-2.lua, which skips inside
   * Redis the entries known to lack it (most of them, for a rare tag). When a read hands out
   * nothing and has caught up (it read fewer than `count`), the next one waits: for an append
   * anywhere (XREAD blocking after the newest entry: a script cannot block) when nothing was new,
   * else for TAGGED_POLL_MS while other entries flow, cut short when this replica appends one the
   * group is handed (or appended one during the read). So a busy ring buffer costs a poll every
   * TAGGED_POLL_MS, not one per append, and the pause delays only an entry that no reader of its
   * own replica is waiting for, by that much at most.
   */
  private async readTagged(
    keys: PartitionKeys,
    group: string,
    tag: string,
    consumer: string,
    count: number,
    blockMs: number,
  ): Promise<PartitionRead> {
    const lua = this.redis as unknown as ReadTaggedEntries;
    const appendedBefore = this.signals.tagged(tag).count;
    // Every read reports its own skips: the first one's are not lost when a second read follows.
    const read = async () => {
      const reply = await redisCall(() => lua.readTaggedEntries(keys.events, keys.stats, group, consumer, count, tag), group);
      const skipped = reply[0] - (reply.length - 2);
      if (skipped > 0) this.skipListeners.get(group)?.(skipped);
      return reply;
    };
    let [n, newest, ...raw] = await read();
    if (raw.length === 0 && n < count && blockMs > 0) {
      if (n === 0) {
        const client = await this.blocking.for(`${group}#${keys.partition}`, blockMs);
        await redisCall(() => client.xread('COUNT', 1, 'BLOCK', blockMs, 'STREAMS', keys.events, newest));
      } else {
        await this.signals.tagged(tag).wait(TAGGED_POLL_MS, appendedBefore);
      }
      [n, newest, ...raw] = await read();
    }
    return { read: n, entries: this.toEntries(keys.partition, raw, () => 1) };
  }

  /** The group's `only` tag: what ensureGroup recorded (in this process, or in another: then read once). */
  private async filterOf(group: string): Promise<string | null> {
    let only = this.filters.get(group);
    if (only === undefined) {
      only = await redisCall(() => this.redis.hget(this.keysOf(0).only, group));
      this.filters.set(group, only);
    }
    return only;
  }

  /**
   * XCLAIMs the pending rows to `consumer`. A row not claimed was either taken by another replica
   * first or dropped by Redis because the bound trimmed its entry: the latter are the group's
   * losses (entries leave the stream only by trimming), counted in the stats hash as at eviction.
   */
  private async claim(keys: PartitionKeys, group: string, consumer: string, minIdleMs: number, pending: PendingRow[]): Promise<Claimed> {
    if (pending.length === 0) return { entries: [], gone: 0 };
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n) + 1]));
    const raw = (await redisCall(
      () => this.redis.xclaim(keys.events, group, consumer, minIdleMs, ...pending.map(([id]) => id)),
      group,
    )) as RawEntry[];
    const claimed = new Set(raw.map(([id]) => id));
    const missing = pending.map(([id]) => id).filter((id) => !claimed.has(id));
    const stillThere = await redisCall(() => Promise.all(missing.map((id) => this.redis.xrange(keys.events, id, id))));
    const gone = stillThere.filter((found) => found.length === 0).length;
    if (gone > 0) await redisCall(() => this.redis.hincrby(keys.stats, `lost:${group}`, gone));
    return { entries: this.toEntries(keys.partition, raw, (id) => deliveries.get(id) ?? 1), gone };
  }

  /** Entries whose data was trimmed by the bound come back with null fields: they are left out. */
  private toEntries(partition: number, raw: RawEntry[], deliveries: (id: string) => number): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const [id, fields] of raw) {
      if (!fields) continue;
      const { event: body, uid } = fieldsOf(fields);
      if (body !== undefined && uid !== undefined) out.push(storedEntry(this.idOf(partition, id), uid, body, deliveries(id)));
    }
    return out;
  }

  private toDeadLetters(partition: number, raw: RawEntry[]): DeadLetter[] {
    const out: DeadLetter[] = [];
    for (const [id, fields] of raw) {
      if (!fields) continue;
      const f = fieldsOf(fields);
      const body = f.event ?? 'null';
      out.push({
        id: this.idOf(partition, id),
        event: JSON.parse(body) as CanonicalEvent,
        body,
        attempts: Number(f.attempts),
        lastStatus: f.lastStatus ? Number(f.lastStatus) : null,
        lastError: f.lastError ?? '',
        deadAt: f.deadAt ?? '',
      });
    }
    return out;
  }

  private readsOf(group: string): GroupReads {
    let reads = this.reads.get(group);
    if (!reads) {
      reads = { inFlight: new Map(), ready: [], failure: undefined, next: 0 };
      this.reads.set(group, reads);
    }
    return reads;
  }

  private idOf(partition: number, streamId: string): string {
    return this.parts.length === 1 ? streamId : `${partition}/${streamId}`;
  }

  private locate(id: string): { partition: number; streamId: string } {
    const slash = id.indexOf('/');
    if (slash < 0) return { partition: 0, streamId: id };
    return { partition: Number(id.slice(0, slash)), streamId: id.slice(slash + 1) };
  }

  private keysOf(partition: number): PartitionKeys {
    const keys = this.parts[partition];
    if (!keys) throw new Error(`no partition ${partition} in this store (PARTITIONS=${this.parts.length})`);
    return keys;
  }

  private byPartition(ids: readonly string[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const id of ids) {
      const { partition, streamId } = this.locate(id);
      const streamIds = out.get(partition);
      if (streamIds) streamIds.push(streamId);
      else out.set(partition, [streamId]);
    }
    return out;
  }
}
