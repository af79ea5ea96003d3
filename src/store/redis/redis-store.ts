// The Redis event store: dedup + ring buffer in one Lua step per event (lua/appendEvent-3.lua).
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { uidFields } from '../../event/snowflake.js';
import { KCR_ERR_NO_GROUP, KCR_ERR_STORE_UNAVAILABLE, KcrError } from '../../errors.js';
import { placeUid } from '../dedup-window.js';
import { BUCKET_MS } from '../dedup-window.js';
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
import type { FastifyBaseLogger } from 'fastify';
import { logConnectionErrors, waitReady, type RedisClient } from './connect.js';
import { partitionKeys, type PartitionKeys } from './keys.js';

type Reply = Array<string | number>;
type RawEntry = [id: string, fields: string[] | null];

function fieldsOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i] as string] = raw[i + 1] as string;
  return out;
}

/** Entries whose data was trimmed by the bound come back with null fields: they are skipped (already counted as lost). */
function toEntries(raw: RawEntry[], deliveries: (id: string) => number): StoredEntry[] {
  const out: StoredEntry[] = [];
  for (const [id, fields] of raw) {
    if (!fields) continue;
    const event = fieldsOf(fields).event;
    if (event !== undefined) out.push({ id, event: JSON.parse(event) as CanonicalEvent, body: event, deliveries: deliveries(id) });
  }
  return out;
}

/** The Lua commands of lua/, as defined on the client by defineLuaCommands. */
interface LuaCommands {
  appendEvent(...args: Array<string | number>): Promise<Reply>;
  getEvent(...args: Array<string | number>): Promise<Reply>;
}

export class RedisEventStore implements EventStore {
  private readonly keys: PartitionKeys;
  private readonly lua: LuaCommands;
  /** Blocking reads get a connection per group: on a shared one they would queue behind each other. */
  private readonly blockingClients = new Map<string, RedisClient>();

  constructor(
    private readonly client: RedisClient,
    private readonly policy: BufferPolicy,
    prefix: string,
    private readonly log?: FastifyBaseLogger,
  ) {
    this.keys = partitionKeys(prefix);
    this.lua = client as unknown as LuaCommands;
    if (log) logConnectionErrors(client, log);
  }

  async append(event: CanonicalEvent, nowMs: number): Promise<AppendOutcome> {
    const place = placeUid(Date.parse(event.emittedAt), nowMs, this.policy.dedupWindowMs);
    const stored: CanonicalEvent = { ...event, late: place.late };
    const reply = await this.call(() =>
      this.lua.appendEvent(
        this.keys.seen(place.bucket),
        this.keys.events,
        this.keys.stats,
        event.uid,
        JSON.stringify(stored),
        this.policy.capacity,
        this.policy.overflow,
        place.expireAtMs,
        nowMs,
      ),
    );
    const [status] = reply;
    if (status === 'duplicate') return { status: 'duplicate' };
    if (status === 'full') return { status: 'full', oldestUid: String(reply[1]) };
    const lost: LostEvent[] = [];
    for (let i = 3; i + 1 < reply.length; i += 2) {
      lost.push({ destination: String(reply[i]), uid: String(reply[i + 1]) });
    }
    return { status: 'accepted', late: place.late, evicted: Number(reply[2]), lost };
  }

  async quarantine(record: QuarantineRecord): Promise<void> {
    await this.call(() =>
      this.redis.xadd(
        this.keys.quarantine,
        'MAXLEN',
        '~',
        String(this.policy.capacity),
        '*',
        'node',
        record.node,
        'receivedAt',
        record.receivedAt,
        'remoteAddress',
        record.remoteAddress,
        'errorCode',
        record.errorCode,
        'errorMessage',
        record.errorMessage,
        'body',
        record.body.toString('base64'),
      ),
    );
  }

  async listQuarantine(count: number): Promise<QuarantinedBody[]> {
    const raw = (await this.call(() => this.redis.xrevrange(this.keys.quarantine, '+', '-', 'COUNT', count))) as RawEntry[];
    return raw.flatMap(([id, fields]) => {
      if (!fields) return [];
      const f = fieldsOf(fields);
      return [
        {
          id,
          node: f.node ?? '',
          receivedAt: f.receivedAt ?? '',
          remoteAddress: f.remoteAddress ?? '',
          errorCode: f.errorCode ?? '',
          errorMessage: f.errorMessage ?? '',
          body: Buffer.from(f.body ?? '', 'base64'),
        },
      ];
    });
  }

  async lookup(uid: string): Promise<LookupOutcome> {
    const bucket = Math.floor(uidFields(BigInt(uid)).timeMs / BUCKET_MS);
    const reply = await this.call(() => this.lua.getEvent(this.keys.seen(bucket), this.keys.events, uid));
    if (reply[0] === 'found') return { status: 'found', event: JSON.parse(String(reply[1])) as CanonicalEvent };
    return { status: reply[0] === 'evicted' ? 'evicted' : 'unknown' };
  }

  async status(): Promise<StoreStatus> {
    const store = 'nodes' in this.client ? 'redis-cluster' : 'redis';
    try {
      await this.call(() => this.client.ping());
      return { store, reachable: true };
    } catch (err) {
      return { store, reachable: false, detail: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    for (const c of [...this.blockingClients.values(), this.client]) {
      await c.quit().catch(() => c.disconnect());
    }
  }

  async ensureGroup(group: string, from: 'start' | 'end'): Promise<void> {
    try {
      await this.call(() => this.redis.xgroup('CREATE', this.keys.events, group, from === 'start' ? '0' : '$', 'MKSTREAM'));
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  }

  async readNew(group: string, consumer: string, count: number, blockMs: number): Promise<StoredEntry[]> {
    const client = blockMs > 0 ? await this.blocking(group, blockMs) : this.redis;
    const args = ['GROUP', group, consumer, 'COUNT', count, ...(blockMs > 0 ? ['BLOCK', blockMs] : []), 'STREAMS', this.keys.events, '>'];
    const reply = (await this.call(
      () => (client.xreadgroup as (...a: Array<string | number>) => Promise<unknown>)(...args),
      group,
    )) as Array<[string, RawEntry[]]> | null;
    return reply ? toEntries(reply[0]?.[1] ?? [], () => 1) : [];
  }

  async claimStale(group: string, consumer: string, minIdleMs: number, count: number): Promise<StoredEntry[]> {
    const pending = (await this.call(
      () => this.redis.xpending(this.keys.events, group, 'IDLE', minIdleMs, '-', '+', count),
      group,
    )) as Array<[string, string, number, number]>;
    if (pending.length === 0) return [];
    const deliveries = new Map(pending.map(([id, , , n]) => [id, Number(n) + 1]));
    // XCLAIM re-checks the idle time per entry, so two replicas racing for the same entry cannot both win.
    const claimed = (await this.call(() =>
      this.redis.xclaim(this.keys.events, group, consumer, minIdleMs, ...pending.map(([id]) => id)),
    )) as RawEntry[];
    return toEntries(claimed, (id) => deliveries.get(id) ?? 1);
  }

  async touch(group: string, consumer: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.call(() => this.redis.xclaim(this.keys.events, group, consumer, 0, ...ids, 'JUSTID'));
  }

  async ack(group: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.call(() => this.redis.xack(this.keys.events, group, ...ids));
  }

  async deadLetter(group: string, entry: StoredEntry, info: DeadLetterInfo, nowMs: number): Promise<void> {
    // One MULTI on keys of one hash slot: the entry is acknowledged if and only if it is kept as a dead letter.
    const results = await this.call(() =>
      this.redis
        .multi()
        .xadd(
          this.keys.dead(group),
          '*',
          'event',
          JSON.stringify(entry.event),
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
    const raw = (await this.call(() => this.redis.xrange(this.keys.dead(group), start, '+', 'COUNT', count))) as RawEntry[];
    return raw.flatMap(([id, fields]) => {
      if (!fields) return [];
      const f = fieldsOf(fields);
      return [
        {
          id,
          event: JSON.parse(f.event ?? 'null') as CanonicalEvent,
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
    await this.call(() => this.redis.xdel(this.keys.dead(group), ...ids));
  }

  async scan(afterId: string | null, count: number): Promise<StoredEntry[]> {
    const raw = (await this.call(() =>
      this.redis.xrange(this.keys.events, afterId === null ? '-' : `(${afterId}`, '+', 'COUNT', count),
    )) as RawEntry[];
    return toEntries(raw, () => 0);
  }

  async groupState(group: string): Promise<GroupState> {
    const [groups, deadLetters] = await this.call(() =>
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
    return { group, pending: 0, lag: await this.call(() => this.redis.xlen(this.keys.events)), deadLetters };
  }

  async bufferLength(): Promise<number> {
    return this.call(() => this.redis.xlen(this.keys.events));
  }

  /** The client typed as a standalone one: Cluster routes the same single-slot commands. */
  private get redis(): Redis {
    return this.client as Redis;
  }

  private async blocking(group: string, blockMs: number): Promise<Redis> {
    let client = this.blockingClients.get(group);
    if (!client) {
      const options = { commandTimeout: blockMs + 2_000 };
      client = 'nodes' in this.client ? this.client.duplicate(undefined, { redisOptions: options }) : this.client.duplicate(options);
      if (this.log) logConnectionErrors(client, this.log);
      this.blockingClients.set(group, client);
    }
    // A new connection refuses commands until ready (no offline queue): give it the time to connect.
    if (client.status !== 'ready') await waitReady(client, blockMs + 2_000);
    return client as Redis;
  }

  /**
   * Any Redis failure becomes KCR_ERR_STORE_UNAVAILABLE (the caller answers 503, never 200), but a
   * missing consumer `group` is KCR_ERR_NO_GROUP: its consumer recreates it.
   */
  private async call<T>(fn: () => Promise<T>, group?: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KcrError) throw err;
      const message = (err as Error).message;
      if (group !== undefined && message.startsWith('NOGROUP')) throw KCR_ERR_NO_GROUP(group);
      throw KCR_ERR_STORE_UNAVAILABLE(message);
    }
  }
}
