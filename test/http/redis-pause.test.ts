// A Redis that hangs (SIGSTOP) rather than going away: the relay answers 503 once
// REDIS_COMMAND_TIMEOUT passes, but the write it sent may still be applied when Redis resumes. The
// documented contract is "503 = not confirmed, resend", never "nothing stored": the resend is
// answered 200 and the event is stored once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, type Relay } from '../support/relay.js';

let redis: TestRedis;
let relay: Relay;
beforeAll(async () => {
  redis = await startTestRedis();
  relay = await startRelay({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '300ms' });
});
afterAll(async () => {
  redis.signal('SIGCONT');
  await relay.close();
  await redis.dispose();
});

it('answers 503 while Redis is paused; the write sent before the timeout lands, so the resend is a duplicate', async () => {
  expect((await postEvent(relay.url, loginEventJson(freshUid()))).json.status).toBe('accepted');

  const uid = freshUid();
  redis.signal('SIGSTOP');
  let during;
  try {
    during = await postEvent(relay.url, loginEventJson(uid));
  } finally {
    redis.signal('SIGCONT');
  }
  expect(during.status).toBe(503);
  expect(during.json.error.code).toBe('KCR_ERR_STORE_UNAVAILABLE');
  expect(during.json.error.message).toMatch(/not confirmed/);

  // The emitter resends; the relay's answer must be 200 whichever way the paused write went.
  let resend = await postEvent(relay.url, loginEventJson(uid));
  for (let i = 0; i < 50 && resend.status === 503; i++) {
    await new Promise((r) => setTimeout(r, 100));
    resend = await postEvent(relay.url, loginEventJson(uid));
  }
  expect(resend.json).toEqual({ status: 'duplicate', uid });
  expect((await relay.store.lookup(uid)).status).toBe('found');
});
