// Where a uid is deduplicated (Redis). Appends that arrive within one event-loop turn go to Redis
// as one script call (lua/appendEvents-4.lua): each event's uid is checked and recorded in its time
// bucket's seen hash and its event appended under the bound, one event after the other, and each
// caller gets its own outcome. One write and one Redis wake-up per turn instead of per event: on
// loopback those cost far more than the script's work. If the call fails, every append of the batch
// fails with it (503: not confirmed; a resend of an event that was in fact stored is a duplicate).
// With REDIS_WAIT_REPLICAS, the script and a WAIT go out together and the batch is confirmed only
// once that many replicas have it: a master that dies before its replica copied an answered write
// would otherwise lose it. Lookups by uid read the same hashes (lua/getEvent-2.lua).
import type { Redis } from 'ioredis';
import type { CanonicalEvent } from '../../event/canonical.js';
import { uidFields } from '../../event/snowflake.js';
import { KCR_ERR_NOT_REPLICATED, KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import type { RedisClient } from '../../backend/redis/connect.js';
import { TurnCalls, type Settled } from '../../backend/turn-batch.js';
import { BUCKET_MS, placeUid } from '../dedup-window.js';
import type { AppendOptions, AppendOutcome, BufferPolicy, LookupOutcome, LostEvent } from '../event-store.js';
import type { AppendSignals } from '../append-signal.js';
import { encodeTags, type Tags, type TagsOf } from '../tags.js';
import type { PartitionKeys } from './keys.js';
import { redisCall } from '../../backend/redis/redis-call.js';

/** A batch is sent early when it holds this many events or bytes of events, bounding one script call. */
const MAX_BATCH_EVENTS = 256;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** The script's answer for one event: the stream id when it was stored and pushed nothing out, else a tuple. */
type Outcome = string | [status: string, ...rest: Array<string | number>];

/** The Lua commands of lua/, as defined on the client by defineLuaCommands. */
interface LuaCommands {
  appendEvents(...args: Array<string | number>): Promise<Outcome[]>;
  getEvent(...args: Array<string | number>): Promise<Array<string | number>>;
}

/** A pipeline with the script: it and the WAIT after it reach the same node, on one connection. */
interface LuaPipeline {
  appendEvents(...args: Array<string | number>): LuaPipeline;
  wait(replicas: number, timeoutMs: number): LuaPipeline;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** REDIS_WAIT_REPLICAS and REDIS_WAIT_TIMEOUT. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

interface Pending {
  uid: string;
  bucket: number;
  expireAtMs: number;
  /** What the dedup check reads: the uid, or options.dedup's key in the bucket of its own time. */
  dedupKey: string;
  dedupBucket: number;
  dedupExpireAtMs: number;
  late: boolean;
  tags: Tags | undefined;
  body: string;
  nowMs: number;
}

export class RedisDedupAppend {
  private readonly lua: LuaCommands;
  private readonly batch: TurnCalls<Pending, AppendOutcome>;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: PartitionKeys,
    private readonly policy: BufferPolicy,
    private readonly wait: ReplicaWait | null,
    private readonly tagsOf: TagsOf | undefined,
    /** Notified of the events a batch stored, for the groups reading `only` a tag. */
    private readonly signals: AppendSignals,
  ) {
    this.lua = client as unknown as LuaCommands;
    this.batch = new TurnCalls((batch) => this.send(batch), { maxItems: MAX_BATCH_EVENTS, maxWeight: MAX_BATCH_BYTES });
  }

  append(event: CanonicalEvent, nowMs: number, options: AppendOptions = {}): Promise<AppendOutcome> {
    const place = placeUid(Date.parse(event.emittedAt), nowMs, this.policy.dedupWindowMs);
    const keyPlace = options.dedup ? placeUid(options.dedup.timeMs, nowMs, this.policy.dedupWindowMs) : place;
    const body = JSON.stringify({ ...event, late: keyPlace.late } satisfies CanonicalEvent);
    const pending: Pending = {
      uid: event.uid,
      bucket: place.bucket,
      expireAtMs: place.expireAtMs,
      dedupKey: options.dedup?.key ?? event.uid,
      dedupBucket: keyPlace.bucket,
      dedupExpireAtMs: keyPlace.expireAtMs,
      late: keyPlace.late,
      tags: options.tags ?? this.tagsOf?.(event),
      body,
      nowMs,
    };
    return this.batch.run(pending, body.length);
  }

  /** Bytes of event JSON in this partition's buffer (counted by the append script; 0 until its first run). */
  async bytes(): Promise<number> {
    return Number((await redisCall(() => (this.client as Redis).hget(this.keys.stats, 'bytes'))) ?? 0);
  }

  async lookup(uid: string): Promise<LookupOutcome> {
    const bucket = Math.floor(uidFields(BigInt(uid)).timeMs / BUCKET_MS);
    const reply = await redisCall(() => this.lua.getEvent(this.keys.seen(bucket), this.keys.events, uid));
    if (reply[0] === 'found') return { status: 'found', event: JSON.parse(String(reply[1])) as CanonicalEvent };
    return { status: reply[0] === 'evicted' ? 'evicted' : 'unknown' };
  }

  private async send(batch: Pending[]): Promise<Array<Settled<AppendOutcome>>> {
    const args: Array<string | number> = [
      this.keys.seenPrefix,
      this.keys.events,
      this.keys.stats,
      this.keys.only,
      this.policy.capacity,
      this.policy.maxBytes,
      this.policy.overflow,
    ];
    args.push(Math.max(...batch.map((p) => p.nowMs)));
    for (const p of batch) {
      args.push(p.uid, p.bucket, p.expireAtMs, p.tags ? encodeTags(p.tags) : '', p.body, p.dedupKey, p.dedupBucket, p.dedupExpireAtMs);
    }
    const outcomes = await redisCall(() => (this.wait ? this.appendAndWait(args, this.wait) : this.lua.appendEvents(...args)));
    return batch.map((p, i) => {
      const reply = outcomes[i];
      if (!reply) return { ok: false, error: KCR_ERR_STORE_UNAVAILABLE('the append script answered fewer outcomes than events') };
      const outcome = toOutcome(reply, p.late);
      if (outcome.status === 'accepted') this.signals.appended(p.tags);
      return { ok: true, value: outcome };
    });
  }

  private async appendAndWait(args: Array<string | number>, wait: ReplicaWait): Promise<Outcome[]> {
    const pipeline = this.client.pipeline() as unknown as LuaPipeline;
    const results = await pipeline
      .appendEvents(...args)
      .wait(wait.replicas, wait.timeoutMs)
      .exec();
    if (!results) throw KCR_ERR_STORE_UNAVAILABLE('pipeline aborted');
    const [[scriptError, outcomes], [waitError, acknowledged]] = results as [[Error | null, Outcome[]], [Error | null, number]];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    // Stored on the primary, but not known to survive its loss: not confirmed (a resend is a duplicate).
    if (acknowledged < wait.replicas) throw KCR_ERR_NOT_REPLICATED(acknowledged, wait.replicas, wait.timeoutMs);
    return outcomes;
  }
}

function toOutcome(reply: Outcome, late: boolean): AppendOutcome {
  if (typeof reply === 'string') return { status: 'accepted', late, evicted: 0, lost: [] };
  const [status] = reply;
  if (status === 'duplicate') return { status: 'duplicate' };
  if (status === 'full') return { status: 'full', oldestUid: String(reply[1]) };
  const lost: LostEvent[] = [];
  for (let i = 3; i + 1 < reply.length; i += 2) lost.push({ destination: String(reply[i]), uid: String(reply[i + 1]) });
  return { status: 'accepted', late, evicted: Number(reply[2]), lost };
}
