// Group commit on Redis: the appends of one event-loop turn reach Redis as one script call, and
// when that call fails every append of the turn fails with it: none is answered as stored. Each
// seen bucket the turn touched gets its expiry once, the latest any of its events needs.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createStore } from '../../src/store/create-store.js';
import type { KcrError } from '../../src/errors.js';
import type { EventStore } from '../../src/store/event-store.js';
import { BUCKET_MS, LATE_GRACE_MS } from '../../src/store/dedup-window.js';
import { canonicalEvent } from '../support/canonical.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

let redis: TestRedis;
let admin: Redis;
let store: EventStore;
let config: ReturnType<typeof loadConfig>;

beforeAll(async () => {
  redis = await startTestRedis();
  admin = new Redis(redis.url);
  config = loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '300ms' });
  ({ store } = await createStore(config));
});
afterAll(async () => {
  await store.close();
  admin.disconnect();
  await redis.dispose();
});

/** Script calls Redis counted since the last reset (EVALSHA, and EVAL when the script was not loaded yet). */
async function scriptCalls(): Promise<number> {
  const stats = await admin.info('commandstats');
  return [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

it('sends the appends of one turn as one script call, and a lone append at once as its own', async () => {
  await store.append(canonicalEvent(), Date.now());
  await admin.config('RESETSTAT');
  const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.append(canonicalEvent(), Date.now())));
  expect(outcomes.every((o) => o.status === 'accepted')).toBe(true);
  expect(await scriptCalls()).toBe(1);
  await store.append(canonicalEvent(), Date.now());
  expect(await scriptCalls()).toBe(2);
});

it('fails every append of a turn whose call Redis does not answer in time: none is answered as stored', async () => {
  const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
  process.kill(pid, 'SIGSTOP');
  const turn = Array.from({ length: 10 }, () => canonicalEvent());
  const settled = await Promise.allSettled(turn.map((e) => store.append(e, Date.now())));
  process.kill(pid, 'SIGCONT');
  expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as KcrError).code : s.value.status))).toEqual(
    Array(10).fill('KCR_ERR_STORE_UNAVAILABLE'),
  );
  // 503 means "not confirmed": the call may still have run once Redis woke up, for the whole turn
  // at once; the emitter's resends are then duplicates, or stored now.
  const resent = await Promise.all(turn.map((e) => store.append(e, Date.now())));
  expect(new Set(resent.map((o) => o.status)).size).toBe(1);
});

it('gives each seen bucket of a turn the expiry its latest event needs, and never shortens one', async () => {
  // Two events of an hour older than DEDUP_WINDOW: each is remembered for LATE_GRACE_MS after its
  // arrival, so within one turn the later arrival decides, whichever comes first in the batch.
  const lateHour = Date.now() - config.DEDUP_WINDOW - 24 * 3_600_000;
  const bucket = Math.floor(lateHour / BUCKET_MS);
  const now = Date.now();
  const turn = [store.append(canonicalEvent(lateHour), now + 5_000), store.append(canonicalEvent(lateHour + 1), now)];
  expect((await Promise.all(turn)).map((o) => o.status)).toEqual(['accepted', 'accepted']);
  const [key] = await admin.keys(`*seen:${bucket}`);
  expect(await admin.pexpiretime(key!)).toBe(now + 5_000 + LATE_GRACE_MS);
  // An event of the same hour that arrived earlier needs less: the bucket keeps its expiry.
  await store.append(canonicalEvent(lateHour + 2), now - 60_000);
  expect(await admin.pexpiretime(key!)).toBe(now + 5_000 + LATE_GRACE_MS);
  // A recent hour lives for the window after its end.
  const recent = Date.now();
  await Promise.all([store.append(canonicalEvent(recent), recent), store.append(canonicalEvent(recent + 1), recent)]);
  const [recentKey] = await admin.keys(`*seen:${Math.floor(recent / BUCKET_MS)}`);
  expect(await admin.pexpiretime(recentKey!)).toBe((Math.floor(recent / BUCKET_MS) + 1) * BUCKET_MS + config.DEDUP_WINDOW);
});
