// The application-node ACL of docs/logout.md is enough for the client: read the revocation keys,
// hear the channels, nothing else (no writes, no events).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogoutClient, type LogoutClient, type LogoutMessage } from '../../src/client/index.js';
import { postEvent } from '../support/http.js';
import { freshUid, withUid } from '../support/payloads.js';
import { relayAclArgs, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

const prefix = uniquePrefix();
let redis: TestRedis;
let relay: Relay;
let client: LogoutClient;
const heard: LogoutMessage[] = [];

beforeAll(async () => {
  redis = await startTestRedis({
    extraArgs: [
      ...relayAclArgs(prefix, 'relay-pass-8Hq2'),
      '--user',
      'app',
      'on',
      '>app-pass-3Kd9',
      `~${prefix}{rv:*`,
      `&${prefix}logout*`,
      '+mget',
      '+subscribe',
      '+ssubscribe',
      '+ping',
      '+info',
    ],
  });
  relay = await startRelay({ REDIS_URL: `redis://relay:relay-pass-8Hq2@127.0.0.1:${redis.port}`, KEY_PREFIX: prefix }, { logout: true });
  client = await createLogoutClient({ redis: `redis://app:app-pass-3Kd9@127.0.0.1:${redis.port}`, keyPrefix: prefix, realmId: 'shop' });
  client.on('message', (m) => void heard.push(m));
});
afterAll(async () => {
  await client?.close();
  await relay?.close();
  await redis?.dispose();
});

it('hears and checks as an app user confined to revocation keys and logout channels', async () => {
  const uid = freshUid();
  const sub = randomUUID();
  const body = withUid(
    {
      time: Date.now(),
      realmId: 'shop',
      authDetails: null,
      resourceType: 'USER',
      operationType: 'ACTION',
      resourcePath: `users/${sub}/logout`,
      representation: null,
      error: null,
    },
    uid,
  );
  expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  await until(() => heard.some((m) => m.eventUid === uid), 10_000, 'heard');
  const m = heard.find((x) => x.eventUid === uid) as LogoutMessage;
  expect(await client.isRevoked({ sub, iat: m.notBefore - 1 })).toBe(true);

  const app = new Redis(`redis://app:app-pass-3Kd9@127.0.0.1:${redis.port}`);
  try {
    await expect(app.xrange(`${prefix}{p0}:events`, '-', '+')).rejects.toThrow(/NOPERM/);
    await expect(app.set(`${prefix}{rv:shop}:realm`, '9999999999')).rejects.toThrow(/NOPERM/);
  } finally {
    app.disconnect();
  }
});
