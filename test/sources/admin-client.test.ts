// The catch-up's admin API client against the Keycloak stand-in: one client-credentials token for
// as long as it lives (renewed before it expires, shared by concurrent callers), the lists asked in
// ascending time, and every failure classified for the poll counter, never with the secret in it.
import { afterEach, expect, it } from 'vitest';
import { KeycloakAdminClient } from '../../src/sources/keycloak/admin-client.js';
import { type PollFailure } from '../../src/sources/keycloak/poll-outcome.js';
import { KeycloakStandIn, userEvent } from '../support/keycloak-stand-in.js';
import { freePort } from '../support/redis-server.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function setUp(now: () => number = Date.now): Promise<{ kc: KeycloakStandIn; client: KeycloakAdminClient }> {
  const kc = new KeycloakStandIn();
  // A secret with the characters client_secret_basic must form-encode.
  kc.clientSecret = 'se:cr et+&=ü';
  await kc.start();
  const client = new KeycloakAdminClient(
    { name: 'acme', baseUrl: kc.url, realm: kc.realm, clientId: kc.clientId, clientSecret: kc.clientSecret },
    { now },
  );
  cleanup.push(
    () => kc.stop(),
    () => client.close(),
  );
  return { kc, client };
}

const failureOf = (promise: Promise<unknown>): Promise<PollFailure> =>
  promise.then(
    () => {
      throw new Error('resolved');
    },
    (err: unknown) => err as PollFailure,
  );

it('asks for one token and reads every page with it until shortly before it expires', async () => {
  let clock = Date.now();
  const { kc, client } = await setUp(() => clock);
  kc.tokenLifetimeS = 300;
  for (let i = 0; i < 5; i++) kc.add('events', userEvent(1_000 + i));
  const pages = await Promise.all([0, 1, 2].map(() => client.page('events', { dateFrom: 1_000, first: 0, max: 2 })));
  for (let i = 0; i < 3; i++) await client.page('admin-events', { dateFrom: 0, first: 0, max: 100 });
  expect(kc.tokensIssued).toBe(1);
  expect(pages.map((p) => (p as Array<{ time: number }>).map((e) => e.time))).toEqual([
    [1_000, 1_001],
    [1_000, 1_001],
    [1_000, 1_001],
  ]);
  expect(kc.requests.at(-1)).toMatchObject({ list: 'admin-events', dateFrom: 0, first: 0, max: 100, direction: 'asc' });
  // 30 s before its 300 s are up, a new one.
  clock += 269_000;
  await client.page('events', { dateFrom: 0, first: 0, max: 1 });
  expect(kc.tokensIssued).toBe(1);
  clock += 2_000;
  await client.page('events', { dateFrom: 0, first: 0, max: 1 });
  expect(kc.tokensIssued).toBe(2);
});

it('drops a token a list refuses with 401, and asks for a new one next', async () => {
  const { kc, client } = await setUp();
  await client.page('events', { dateFrom: 0, first: 0, max: 1 });
  kc.revokeTokens();
  expect(await failureOf(client.page('events', { dateFrom: 0, first: 0, max: 1 }))).toMatchObject({ outcome: 'unauthorized' });
  expect(await client.page('events', { dateFrom: 0, first: 0, max: 1 })).toEqual([]);
  expect(kc.tokensIssued).toBe(2);
});

it('classifies each failure, with Retry-After, and never puts the secret in its message', async () => {
  const { kc, client } = await setUp();
  const query = { dateFrom: 0, first: 0, max: 1 };
  kc.failures.push({ on: 'token', status: 401, body: '{"error":"invalid_client","error_description":"se:cr et+&=ü"}' });
  const refused = await failureOf(client.page('events', query));
  expect(refused).toMatchObject({ outcome: 'unauthorized' });
  expect(refused.message).toContain('invalid_client');
  expect(refused.message).not.toContain('se:cr');
  kc.failures.push({ on: 'token', status: 400, body: '{"error":"unauthorized_client"}' });
  expect(await failureOf(client.page('events', query))).toMatchObject({
    outcome: 'unauthorized',
    message: expect.stringContaining('unauthorized_client'),
  });
  kc.viewEvents = false;
  expect(await failureOf(client.page('events', query))).toMatchObject({
    outcome: 'forbidden',
    message: expect.stringContaining('view-events'),
  });
  kc.viewEvents = true;
  kc.failures.push({ on: 'events', status: 503, headers: { 'retry-after': '7' } });
  expect(await failureOf(client.page('events', query))).toMatchObject({ outcome: 'unavailable', retryAfterMs: 7_000 });
  kc.failures.push({ on: 'events', status: 200, body: '<html>maintenance</html>' });
  expect(await failureOf(client.page('events', query))).toMatchObject({ outcome: 'invalid' });
  kc.failures.push({ on: 'events', status: 200, body: '{"events":[]}' });
  expect(await failureOf(client.page('events', query))).toMatchObject({ outcome: 'invalid' });
  kc.realm = 'renamed';
  expect(await failureOf(client.page('events', query))).toMatchObject({ outcome: 'unavailable', message: expect.stringContaining('404') });
});

it('says unreachable when nothing answers', async () => {
  const port = await freePort();
  const client = new KeycloakAdminClient(
    { name: 'acme', baseUrl: `http://127.0.0.1:${port}`, realm: 'acme', clientId: 'c', clientSecret: 's' },
    { timeoutMs: 2_000 },
  );
  cleanup.push(() => client.close());
  expect(await failureOf(client.page('events', { dateFrom: 0, first: 0, max: 1 }))).toMatchObject({
    outcome: 'unreachable',
    message: expect.stringContaining('ECONNREFUSED'),
  });
});
