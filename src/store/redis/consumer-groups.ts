// Consumer groups over the ring buffer (Redis streams): each destination and the logout publisher
// reads its own group; entries stay pending until acknowledged or dead-lettered, and pending
// entries of a dead consumer are claimed by another (XPENDING + XCLAIM).
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import type { Claimed, ConsumerStore, DeadLetter, DeadLetterInfo, GroupState, Resumed, StoredEntry } from '../event-store.js';
import type { BlockingConnections } from './blocking-connections.js';
import type { PartitionKeys } from './keys.js';
import { asStoreError, fieldsOf, redisCall, replyErrorKind, type RawEntry } from './redis-call.js';

/** XPENDING's extended form: id, consumer, idle ms, times delivered. */
type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/** Entries whose data was trimmed by the bound come back with null fields: they are left out. */
function toEntries(raw: RawEntry[], deliveries: (id: string) => number): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (const [id, fields] of raw) {
    if (!fields) continue;
    const body = fieldsOf(fields).event;
    if (body !== undefined) out.push({ id, event: JSON.parse(body) as CanonicalEvent, body, deliveries: deliveries(id) });
  }
  return out;
}

export class RedisConsumerGroups implements ConsumerStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: PartitionKeys,
    private readonly blocking: BlockingConnections,
  ) {}

  async ensureGroup(group: string, from: 'start' | 'end'): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.keys.events, group, from === 'start' ? '0' : '$', 'MKSTREAM');
    } catch (err) {
      if (replyErrorKind(err) !== 'BUSYGROUP') throw asStoreError(err);
    }
  }

  async readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    const client = blockMs > 0 ? await this.blocking.for(group, blockMs) : this.redis;
    const args = ['GROUP', group, consumer, 'COUNT', count, ...(blockMs > 0 ? ['BLOCK', blockMs] : []), 'STREAMS', this.keys.events, '>'];
    const reply = (await redisCall(
      () => (client.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(...args),
      group,
    )) as Array<[string, RawEntry[]]> | null;
    return reply ? toEntries(reply[0]?.[1] ?? [], () => 1) : [];
  }

  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<Claimed> {
    const pending = (await redisCall(
      () => this.redis.xpending(this.keys.events, group, 'IDLE', minIdleMs, '-', '+', count),
      group,
    )) as PendingRow[];
    // XCLAIM re-checks the idle time per entry, so two replicas racing for the same entry cannot both win.
    return this.claim(group, consumer, minIdleMs, pending);
  }

  async resumePending(group: string, consumer: string, afterId: string, count: number, exclude: ReadonlySet<string>): Promise<Resumed> {
    const start = afterId === '0' ? '-' : `(${afterId}`;
    const pending = (await redisCall(
      () => this.redis.xpending(this.keys.events, group, start, '+', count, consumer),
      group,
    )) as PendingRow[];
    const claimed = await this.claim(group, consumer, 0, pending.filter(([id]) => !exclude.has(id)));
    return { ...claimed, cursor: pending.length < count ? null : (pending.at(-1)?.[0] ?? null) };
  }

  async touch(group: string, consumer: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await redisCall(() => this.redis.xclaim(this.keys.events, group, consumer, 0, ...ids, 'JUSTID'));
  }

  async ack(group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await redisCall(() => this.redis.xack(this.keys.events, group, ...ids));
  }

  async deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<void> {
    // One MULTI on keys of one hash slot: the entry is acknowledged if and only if it is kept as a
    // dead letter, with the bytes first stored, so that a redrive sends exactly them.
    const results = await redisCall(() =>
      this.redis
        .multi()
        .xadd(
          this.keys.dead(group),
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
        .xack(this.keys.events, group, entry.id)
        .exec(),
    );
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw KCR_ERR_STORE_UNAVAILABLE(failed?.[0]?.message ?? 'transaction aborted');
  }

  async listDeadLetters(group: string, count: number, afterId: string | null = null): Promise<DeadLetter[]> {
    const start = afterId === null ? '-' : `(${afterId}`;
    const raw = (await redisCall(() => this.redis.xrange(this.keys.dead(group), start, '+', 'COUNT', count))) as RawEntry[];
    return raw.flatMap(([id, fields]) => {
      if (!fields) return [];
      const f = fieldsOf(fields);
      const body = f.event ?? 'null';
      return [
        {
          id,
          event: JSON.parse(body) as CanonicalEvent,
          body,
          attempts: Number(f.attempts),
          lastStatus: f.lastStatus ? Number(f.lastStatus) : null,
          lastError: f.lastError ?? '',
          deadAt: f.deadAt ?? '',
        },
      ];
    });
  }

  async removeDeadLetters(group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await redisCall(() => this.redis.xdel(this.keys.dead(group), ...ids));
  }

  async scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    const raw = (await redisCall(() =>
      this.redis.xrange(this.keys.events, afterId === null ? '-' : `(${afterId}`, '+', 'COUNT', count),
    )) as RawEntry[];
    return toEntries(raw, () => 0);
  }

  async groupState(group: string): Promise<GroupState> {
    const [groups, deadLetters] = await redisCall(() =>
      Promise.all([
        this.redis.xinfo('GROUPS', this.keys.events) as Promise<Array<Array<string | number | null>>>,
        this.redis.xlen(this.keys.dead(group)),
      ]),
    );
    for (const raw of groups) {
      const info = new Map<string, string | number | null>();
      for (let i = 0; i + 1 < raw.length; i += 2) info.set(String(raw[i]), raw[i + 1] ?? null);
      if (info.get('name') !== group) continue;
      return { group, pending: Number(info.get('pending')), lag: Number(info.get('lag') ?? 0), deadLetters };
    }
    // No group yet: nothing was ever handed to it.
    return { group, pending: 0, lag: await this.bufferLength(), deadLetters };
  }

  async bufferLength(): Promise<number> {
    return redisCall(() => this.redis.xlen(this.keys.events));
  }

  /**
   * XCLAIMs the pending rows to `consumer`. A row not claimed was either taken by another replica
   * first or dropped by Redis because the bound trimmed its entry: the latter are the group's
   * losses (entries leave the stream only by trimming), counted in the stats hash as at eviction.
   */
  private async claim(group: string, consumer: string, minIdleMs: number, pending: PendingRow[]): Promise<Claimed> {
    if (pending.length === 0) return { entries: [], gone: 0 };
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n) + 1]));
    const raw = (await redisCall(
      () => this.redis.xclaim(this.keys.events, group, consumer, minIdleMs, ...pending.map(([id]) => id)),
      group,
    )) as RawEntry[];
    const claimed = new Set(raw.map(([id]) => id));
    const missing = pending.map(([id]) => id).filter((id) => !claimed.has(id));
    const stillThere = await redisCall(() => Promise.all(missing.map((id) => this.redis.xrange(this.keys.events, id, id))));
    const gone = stillThere.filter((found) => found.length === 0).length;
    if (gone > 0) await redisCall(() => this.redis.hincrby(this.keys.stats, `lost:${group}`, gone));
    return { entries: toEntries(raw, (id) => deliveries.get(id) ?? 1), gone };
  }
}
