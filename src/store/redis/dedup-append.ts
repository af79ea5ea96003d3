// Where a uid is deduplicated (Redis): one Lua step per event records the uid in its time bucket's
// seen hash and appends the event to the ring buffer, enforcing the bound (lua/appendEvent-3.lua);
// lookups by uid read the same hash (lua/getEvent-2.lua).
import type { CanonicalEvent } from '../../event/canonical.js';
import { uidFields } from '../../event/snowflake.js';
import { BUCKET_MS, placeUid } from '../dedup-window.js';
import type { AppendOutcome, BufferPolicy, LookupOutcome, LostEvent } from '../event-store.js';
import type { RedisClient } from '../../redis/connect.js';
import type { PartitionKeys } from './keys.js';
import { redisCall } from './redis-call.js';

type Reply = Array<string | number>;

/** The Lua commands of lua/, as defined on the client by defineLuaCommands. */
interface LuaCommands {
  appendEvent(...args: Array<string | number>): Promise<Reply>;
  getEvent(...args: Array<string | number>): Promise<Reply>;
}

export class RedisDedupAppend {
  private readonly lua: LuaCommands;

  constructor(
    client: RedisClient,
    private readonly keys: PartitionKeys,
    private readonly policy: BufferPolicy,
  ) {
    this.lua = client as unknown as LuaCommands;
  }

  async append(event: CanonicalEvent, nowMs: number): Promise<AppendOutcome> {
    const place = placeUid(Date.parse(event.emittedAt), nowMs, this.policy.dedupWindowMs);
    const stored: CanonicalEvent = { ...event, late: place.late };
    const reply = await redisCall(() =>
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

  async lookup(uid: string): Promise<LookupOutcome> {
    const bucket = Math.floor(uidFields(BigInt(uid)).timeMs / BUCKET_MS);
    const reply = await redisCall(() => this.lua.getEvent(this.keys.seen(bucket), this.keys.events, uid));
    if (reply[0] === 'found') return { status: 'found', event: JSON.parse(String(reply[1])) as CanonicalEvent };
    return { status: reply[0] === 'evicted' ? 'evicted' : 'unknown' };
  }
}
