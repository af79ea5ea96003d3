import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), AUTH_MAX_FAILURES: '3', AUTH_FAILURE_WINDOW: '1m' });
});
afterAll(() => relay.close());

it('answers 429 with Retry-After after repeated failures from one address, even to the right secret', async () => {
  for (let i = 0; i < 3; i++) {
    expect((await postEvent(relay.url, loginEventJson(freshUid()), { authorization: basic(NODE, `guess-${i}`) })).status).toBe(401);
  }
  const throttled = await postEvent(relay.url, loginEventJson(freshUid()), { authorization: basic(NODE, SECRET) });
  expect(throttled.status).toBe(429);
  expect(throttled.json.error.code).toBe('KCR_ERR_AUTH_THROTTLED');
  expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
});
