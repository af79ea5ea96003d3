// rediss:// to a TLS-only Redis whose certificate comes from a private CA (REDIS_TLS_CA_FILE).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { freeRedisPort, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { startRelay, type Relay } from '../support/relay.js';
import { makeTestCerts, type TestCerts } from '../support/tls.js';

let certs: TestCerts;
let redis: TestRedis;
let relay: Relay;
let tlsPort: number;

beforeAll(async () => {
  certs = makeTestCerts();
  tlsPort = await freeRedisPort();
  redis = await startTestRedis({
    extraArgs: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      certs.cert,
      '--tls-key-file',
      certs.key,
      '--tls-ca-cert-file',
      certs.ca,
      '--tls-auth-clients',
      'no',
    ],
  });
  relay = await startRelay({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}`, REDIS_TLS_CA_FILE: certs.ca });
});
afterAll(async () => {
  await relay?.close();
  await redis?.dispose();
  rmSync(certs.dir, { recursive: true, force: true });
});

it('stores events over TLS, verifying the server against the configured CA', async () => {
  const uid = freshUid();
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'accepted', uid });
  expect((await relay.store.status()).reachable).toBe(true);
});

it('refuses a server certificate the CA did not sign (no silent downgrade)', async () => {
  const untrusted = await startRelay({ REDIS_URL: `rediss://127.0.0.1:${tlsPort}` });
  try {
    const res = await postEvent(untrusted.url, loginEventJson(freshUid()));
    expect(res.status).toBe(503);
    expect(untrusted.logs.find((l) => l.includes('Redis connection error'))).toMatch(/certificate/);
  } finally {
    await untrusted.close();
  }
});
