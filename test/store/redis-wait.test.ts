// REDIS_WAIT_REPLICAS: a write is confirmed (200) only once WAIT says that many replicas have it;
// when they do not confirm in time the append fails as not confirmed (503), the event stays stored
// on the primary, and the emitter's resend is a duplicate. /readyz and /metrics show the replicas.
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

let primary: TestRedis;
let replica: TestRedis;
let relay: Relay;

beforeAll(async () => {
  primary = await startTestRedis();
  replica = await startTestRedis({ extraArgs: ['--replicaof', '127.0.0.1', '0'] });
  const admin = new Redis(replica.url);
  await admin.replicaof('127.0.0.1', primary.port);
  await until(async () => /master_link_status:up/.test(await admin.info('replication')), 10_000, 'replica in sync');
  admin.disconnect();
  relay = await startRelay({ REDIS_URL: primary.url, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '300ms', REDIS_COMMAND_TIMEOUT: '2s' });
});
afterAll(async () => {
  await relay?.close();
  await replica?.dispose();
  await primary?.dispose();
});

it('answers 200 once the replica has the write, and shows the replica in /readyz and /metrics', async () => {
  const uid = freshUid();
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'accepted', uid });
  const ready = (await (await request(`${relay.url}/readyz`)).body.json()) as { replication: { minReplicas: number; primaries: number } };
  expect(ready.replication).toMatchObject({ primaries: 1, minReplicas: 1 });
  const metrics = await (await request(`${relay.url}/metrics`)).body.text();
  expect(metrics).toMatch(/^kcr_redis_replicas 1$/m);
  expect(metrics).toMatch(/^kcr_redis_replication_lag_bytes \d+$/m);
});

it('answers 503 not confirmed when the replica does not confirm in time; the resend is a duplicate', async () => {
  replica.signal('SIGSTOP');
  const uid = freshUid();
  let during;
  try {
    during = await postEvent(relay.url, loginEventJson(uid));
  } finally {
    replica.signal('SIGCONT');
  }
  expect(during.status).toBe(503);
  expect(during.json.error.code).toBe('KCR_ERR_NOT_REPLICATED');
  expect(during.headers['retry-after']).toBeDefined();
  // Stored on the primary all the same: nothing is lost, and nothing doubled.
  await until(
    async () => (await postEvent(relay.url, loginEventJson(uid))).json.status === 'duplicate',
    10_000,
    'resend answered duplicate',
  );
});

it('refuses a WAIT timeout that the command timeout would cut short', () => {
  expect(() =>
    loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT: '1s', REDIS_COMMAND_TIMEOUT: '1s' }),
  ).toThrow(/REDIS_WAIT_TIMEOUT: .*shorter than REDIS_COMMAND_TIMEOUT/);
});
