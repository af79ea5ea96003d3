// The ring buffer's bound: evictions are counted, losses (an event a destination had not received)
// are counted and logged with the uid, and under BUFFER_OVERFLOW=reject ingest answers 503 instead.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionKeys } from '../../src/store/redis/keys.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startRelay, type Relay } from '../support/relay.js';

const redisUrl = inject('redisUrl');
let redis: Redis;
beforeAll(() => {
  redis = new Redis(redisUrl);
});
afterAll(() => redis.disconnect());

async function fill(relay: Relay, n: number): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < n; i++) {
    const uid = freshUid();
    uids.push(uid);
    expect((await postEvent(relay.url, loginEventJson(uid))).json.status).toBe('accepted');
  }
  return uids;
}

describe('drop-oldest', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ REDIS_URL: redisUrl, BUFFER_CAPACITY: '5' });
  });
  afterAll(() => relay.close());

  it('keeps the newest BUFFER_CAPACITY events, counts evictions, and still knows evicted uids as duplicates', async () => {
    const keys = partitionKeys(relay.config.KEY_PREFIX);
    const uids = await fill(relay, 8);
    expect(await redis.xlen(keys.events)).toBe(5);
    const metrics = await relay.metrics.registry.getSingleMetricAsString('kcr_buffer_evicted_total');
    expect(metrics).toMatch(/kcr_buffer_evicted_total 3/);
    expect((await postEvent(relay.url, loginEventJson(uids[0]!))).json.status).toBe('duplicate');
  });

  it('counts and logs, with its uid, each evicted event a destination had not received', async () => {
    const keys = partitionKeys(relay.config.KEY_PREFIX);
    // A destination's consumer group that has received nothing past the current tail.
    await redis.xgroup('CREATE', keys.events, 'audit', '$');
    const undelivered = await fill(relay, 5);
    await fill(relay, 2);
    const lost = await relay.metrics.registry.getSingleMetricAsString('kcr_buffer_lost_total');
    expect(lost).toMatch(/kcr_buffer_lost_total\{destination="audit"\} 2/);
    const lines = relay.logs.filter((l) => l.includes('dropped an event'));
    expect(lines.map((l) => JSON.parse(l).uid)).toEqual(undelivered.slice(0, 2));
  });
});

describe('reject', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ REDIS_URL: redisUrl, BUFFER_CAPACITY: '3', BUFFER_OVERFLOW: 'reject' });
  });
  afterAll(() => relay.close());

  it('answers 503 KCR_ERR_BUFFER_FULL while the oldest event is undelivered, and stores nothing', async () => {
    const keys = partitionKeys(relay.config.KEY_PREFIX);
    await fill(relay, 1);
    await redis.xgroup('CREATE', keys.events, 'audit', '0');
    await fill(relay, 2);
    const uid = freshUid();
    const res = await postEvent(relay.url, loginEventJson(uid));
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('KCR_ERR_BUFFER_FULL');
    expect(res.headers['retry-after']).toBeDefined();
    expect(await redis.xlen(keys.events)).toBe(3);
    // Handed out but unacknowledged is not yet delivered: still full.
    const read = (await redis.xreadgroup('GROUP', 'audit', 'c1', 'COUNT', 1, 'STREAMS', keys.events, '>')) as [
      string,
      [string, string[]][],
    ][];
    const oldestId = read[0]![1][0]![0];
    expect((await postEvent(relay.url, loginEventJson(uid))).status).toBe(503);
    // Once the destination has acknowledged the oldest event, the bound may drop it again.
    await redis.xack(keys.events, 'audit', oldestId);
    expect((await postEvent(relay.url, loginEventJson(uid))).json.status).toBe('accepted');
  });
});

describe('the byte bounds (BUFFER_MAX_BYTES, QUARANTINE_MAX_BYTES)', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({
      REDIS_URL: redisUrl,
      BODY_LIMIT: '2000',
      BUFFER_MAX_BYTES: '2000',
      QUARANTINE_MAX_BYTES: '2000',
      BUFFER_OVERFLOW: 'reject',
    });
  });
  afterAll(() => relay.close());

  it('answers 503 KCR_ERR_BUFFER_FULL under reject once the bytes would push out an undelivered event', async () => {
    const keys = partitionKeys(relay.config.KEY_PREFIX);
    await redis.xgroup('CREATE', keys.events, 'audit', '$', 'MKSTREAM');
    const pad = 'x'.repeat(250);
    const accepted = [];
    for (let i = 0; i < 2; i++) accepted.push((await postEvent(relay.url, loginEventJson(freshUid(), { details: { pad } }))).status);
    expect(accepted).toEqual([200, 200]);
    const res = await postEvent(relay.url, loginEventJson(freshUid(), { details: { pad } }));
    expect(res.status).toBe(503);
    expect(res.json.error).toMatchObject({ code: 'KCR_ERR_BUFFER_FULL', message: expect.stringContaining('BUFFER_MAX_BYTES=2000') });
    expect(await redis.xlen(keys.events)).toBe(2);
    const bytes = await relay.metrics.registry.getSingleMetricAsString('kcr_buffer_bytes');
    expect(Number(/kcr_buffer_bytes (\d+)/.exec(bytes)?.[1])).toBeGreaterThan(1200);
  });

  it('drops the oldest quarantined bodies beyond QUARANTINE_MAX_BYTES, counted and logged once a minute with how many', async () => {
    // Authenticated JSON objects that are neither Event nor AdminEvent: quarantined whole.
    const body = (n: number) => JSON.stringify({ n, filler: 'y'.repeat(800) });
    for (let n = 0; n < 5; n++) expect((await postEvent(relay.url, body(n))).json.status).toBe('quarantined');
    const kept = (await relay.store.listQuarantine(10)).map((q) => JSON.parse(q.body.toString()).n);
    expect(kept).toEqual([4, 3]);
    const dropped = await relay.metrics.registry.getSingleMetricAsString('kcr_quarantine_dropped_total');
    expect(dropped).toMatch(/kcr_quarantine_dropped_total 3/);
    const lines = relay.logs.filter((l) => l.includes('quarantine full')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.dropped)).toEqual([1]);
  });
});
