// The byte bounds on Redis beyond the contract (test/store/contract.test.ts): data written by the
// release before them (no byte counters in the stats hash) is counted once, by the first script that
// needs it, so its bytes bound the buffer and the quarantine from the first write; and with
// PARTITIONS each partition holds its share of BUFFER_MAX_BYTES.
import { expect, it } from 'vitest';
import type { QuarantineRecord } from '../../src/store/event-store.js';
import { partitionKeys, partitionOf } from '../../src/store/redis/keys.js';
import { canonicalEvent } from '../support/canonical.js';
import { redisStores } from '../support/redis-stores.js';
import { uniquePrefix } from '../support/relay.js';

const { redis, open } = redisStores({ BODY_LIMIT: '500' });

const body = (bytes: number): QuarantineRecord => ({
  node: 'kc-1',
  receivedAt: new Date().toISOString(),
  remoteAddress: '127.0.0.1',
  errorCode: 'KCR_ERR_FLATBUFFER',
  errorMessage: 'x',
  body: Buffer.alloc(bytes, 7),
});

it('counts the bytes of a buffer and a quarantine written before the byte bounds, once, at the first write', async () => {
  const prefix = uniquePrefix();
  const first = await open(prefix);
  const events = [canonicalEvent(), canonicalEvent(), canonicalEvent()];
  for (const e of events) await first.append(e, Date.now());
  for (const n of [300, 400]) await first.quarantine(body(n));
  const eventBytes = (await first.scan(null, 10)).reduce((sum, e) => sum + Buffer.byteLength(e.body), 0);
  await first.close();
  // What the release before the byte bounds left: the same entries, no byte counters.
  const stats = partitionKeys(prefix, 0).stats;
  await redis.hdel(stats, 'bytes', 'quarantineBytes');

  const again = await open(prefix, { BUFFER_MAX_BYTES: String(eventBytes + 10), QUARANTINE_MAX_BYTES: '800' });
  expect(await again.bufferBytes()).toBe(0);
  const next = canonicalEvent();
  // Room for the three stored events and not one more: the first append counts them, then evicts the oldest.
  expect(await again.append(next, Date.now())).toMatchObject({ status: 'accepted', evicted: 1 });
  expect((await again.scan(null, 10)).map((e) => e.uid)).toEqual([events[1]!.uid, events[2]!.uid, next.uid]);
  const kept = (await again.scan(null, 10)).reduce((sum, e) => sum + Buffer.byteLength(e.body), 0);
  expect(await again.bufferBytes()).toBe(kept);
  // 300 + 400 stored before, 200 more exceeds 800: the oldest body goes.
  expect(await again.quarantine(body(200))).toBe(1);
  expect((await again.listQuarantine(10)).map((q) => q.body.length)).toEqual([200, 400]);
  expect(Number(await redis.hget(stats, 'quarantineBytes'))).toBe(600);
});

it('gives each of PARTITIONS its share of BUFFER_MAX_BYTES, and the store the total', async () => {
  const prefix = uniquePrefix();
  const store = await open(prefix, { PARTITIONS: '2', BUFFER_MAX_BYTES: '4000' });
  const events = Array.from({ length: 20 }, () => canonicalEvent());
  for (const e of events) expect((await store.append(e, Date.now())).status).toBe('accepted');
  const size = Buffer.byteLength(JSON.stringify(events[0]));
  // Each partition holds at most floor(2000 / size) events of this size.
  const perPartition = Math.floor(2000 / size);
  for (const p of [0, 1]) {
    const placed = events.filter((e) => partitionOf(e.uid, 2) === p).length;
    expect(await redis.xlen(partitionKeys(prefix, p).events)).toBe(Math.min(placed, perPartition));
  }
  const stored = await store.scan(null, 100);
  expect(await store.bufferBytes()).toBe(stored.reduce((sum, e) => sum + Buffer.byteLength(e.body), 0));
  expect(await store.bufferBytes()).toBeLessThanOrEqual(4000);
});
