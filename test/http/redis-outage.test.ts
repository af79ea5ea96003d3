// Redis goes away mid-run: ingest answers 503 (never 200), /readyz fails, and both recover by
// themselves when Redis is back, without restarting the relay.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, type Relay } from '../support/relay.js';

let redis: TestRedis;
let relay: Relay;
beforeAll(async () => {
  redis = await startTestRedis();
  relay = await startRelay({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '500ms' });
});
afterAll(async () => {
  await relay.close();
  await redis.dispose();
});

async function until(fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

it('answers 503 with Retry-After while Redis is down, then 200 again once it is back', async () => {
  expect((await postEvent(relay.url, loginEventJson(freshUid()))).status).toBe(200);

  await redis.stop();
  const uid = freshUid();
  const during = await postEvent(relay.url, loginEventJson(uid));
  expect(during.status).toBe(503);
  expect(during.json.error.code).toBe('KCR_ERR_STORE_UNAVAILABLE');
  expect(during.headers['retry-after']).toBeDefined();
  // At once, as the connection is known lost: refused by ioredis, not timed out in a queue.
  expect(during.json.error.message).toMatch(/Stream isn't writeable|Connection is closed/);
  expect((await request(`${relay.url}/readyz`)).statusCode).toBe(503);
  // Operators see it in the metrics, not only in the emitter's retries.
  expect(await relay.metrics.registry.getSingleMetricAsString('kcr_ingest_requests_total')).toMatch(/outcome="unavailable"\} 1/);

  await redis.start();
  await until(async () => (await request(`${relay.url}/readyz`)).statusCode === 200, 10_000);
  // The same uid, resent as the emitter would, is now stored: Redis was down, the write never reached it.
  const after = await postEvent(relay.url, loginEventJson(uid));
  expect(after.json).toEqual({ status: 'accepted', uid });
});
