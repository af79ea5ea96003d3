// The Redis event store: dedup + ring buffer in one Lua step per event (lua/appendEvent-3.lua).
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import { placeUid } from '../dedup-window.js';
import type {
  AppendOutcome,
  BufferPolicy,
  EventStore,
  LookupOutcome,
  LostEvent,
  QuarantineRecord,
  StoreStatus,
} from '../event-store.js';
import { BUCKET_MS } from '../dedup-window.js';
import type { RedisClient } from './connect.js';
import { partitionKeys, type PartitionKeys } from './keys.js';

type Reply = Array<string | number>;

/** The Lua commands of lua/, as defined on the client by defineLuaCommands. */
interface LuaCommands {
  appendEvent(...args: Array<string | number>): Promise<Reply>;
  getEvent(...args: Array<string | number>): Promise<Reply>;
}

export class RedisEventStore implements EventStore {
  private readonly keys: PartitionKeys;
  private readonly lua: LuaCommands;

  constructor(
    private readonly client: RedisClient,
    private readonly policy: BufferPolicy,
    prefix: string,
  ) {
    this.keys = partitionKeys(prefix);
    this.lua = client as unknown as LuaCommands;
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
      (this.client as Redis).xadd(
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

  async lookup(uid: string): Promise<LookupOutcome> {
    const bucket = Math.floor(uidTimeMs(uid) / BUCKET_MS);
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
    await this.client.quit().catch(() => this.client.disconnect());
  }

  /** Any Redis failure becomes KCR_ERR_STORE_UNAVAILABLE: the caller answers 503, never 200. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw KCR_ERR_STORE_UNAVAILABLE((err as Error).message);
    }
  }
}

/** Unix ms of a uid's snowflake time (bits 63..22 count ms since 2015-01-01). */
function uidTimeMs(uid: string): number {
  return Number(BigInt.asIntN(64, BigInt(uid)) >> 22n) + 1_420_070_400_000;
}
