// The ACL documented in docs/key-layout.md is enough: a user confined to KEY_PREFIX keys and
// channels, on a Redis whose default user is disabled (as on ElastiCache with RBAC).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { relayAclArgs, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const prefix = uniquePrefix();
let redis: TestRedis;
let relay: Relay;
let sink: Sink;

beforeAll(async () => {
  redis = await startTestRedis({ extraArgs: relayAclArgs(prefix, 'relay-pass-8Hq2') });
  sink = new Sink();
  await sink.start();
  relay = await startRelay({
    REDIS_URL: `redis://relay:relay-pass-8Hq2@127.0.0.1:${redis.port}`,
    KEY_PREFIX: prefix,
    DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url }]),
  });
});
afterAll(async () => {
  await relay.close();
  await sink.stop();
  await redis.dispose();
});

it('ingests and forwards as an ACL user confined to the key prefix, and keeps the password out of logs', async () => {
  const uid = freshUid();
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'accepted', uid });
  await until(() => sink.delivered.includes(uid), 10_000, 'forwarded');
  expect(relay.logs.join('')).not.toContain('relay-pass-8Hq2');
});
