// Failed authentications are throttled per (address, username) and per address, but a correct
// credential is always admitted: nobody's failures can lock the emitter out, and the emitter's
// successes do not wipe out a guesser's count. The same holds for bearer tokens.
import { request } from 'undici';
import { afterEach, expect, inject, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let relay: Relay;
afterEach(() => relay.close());

const start = async (env: Record<string, string> = {}) => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), AUTH_MAX_FAILURES: '3', AUTH_FAILURE_WINDOW: '1m', ...env });
};
const post = (authorization?: string) =>
  postEvent(relay.url, loginEventJson(freshUid()), authorization === undefined ? {} : { authorization });
const noAuth = () =>
  request(`${relay.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: loginEventJson(freshUid()),
  }).then(async (r) => (await r.body.dump(), r.statusCode));

it('after the failure budget, wrong secrets get 429 with Retry-After, and the right secret is still admitted', async () => {
  await start();
  for (let i = 0; i < 3; i++) expect((await post(basic(NODE, `guess-${i}`))).status).toBe(401);
  const throttled = await post(basic(NODE, 'guess-3'));
  expect(throttled.status).toBe(429);
  expect(throttled.json.error.code).toBe('KCR_ERR_AUTH_THROTTLED');
  expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
  expect((await post()).json.status).toBe('accepted');
});

it("the emitter's successes do not reset a guesser's count", async () => {
  await start();
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    statuses.push((await post(basic(NODE, `guess-${i}`))).status);
    expect((await post()).status).toBe(200);
  }
  expect(statuses).toEqual([401, 401, 401, 429]);
});

it("unauthenticated floods from the emitter's own address never lock it out", async () => {
  await start();
  for (let i = 0; i < 60; i++) await noAuth();
  expect(await noAuth()).toBe(429);
  expect((await post()).json.status).toBe('accepted');
});

it('a spray of usernames from one address hits the per-address budget (10 × AUTH_MAX_FAILURES)', async () => {
  await start();
  const statuses: number[] = [];
  for (let i = 0; i < 31; i++) statuses.push((await post(basic(`node-${i}`, 'wrong'))).status);
  expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
  expect(statuses[30]).toBe(429);
});

it('wrong admin tokens are throttled too; the right token is still admitted', async () => {
  await start();
  const admin = (token: string) =>
    request(`${relay.url}/admin/destinations`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => ({
      status: r.statusCode,
      json: (await r.body.json()) as any,
    }));
  for (let i = 0; i < 3; i++) expect((await admin(`wrong-token-${i}-0123456789`)).status).toBe(401);
  const throttled = await admin('wrong-token-3-0123456789');
  expect(throttled.status).toBe(429);
  expect(throttled.json.error.code).toBe('KCR_ERR_AUTH_THROTTLED');
  expect((await admin(ADMIN_TOKEN)).status).toBe(200);
});

it('never writes a secret sent in the username field to the logs; logs a configured node name', async () => {
  await start({ AUTH_USERNAMES: NODE });
  expect((await post(basic(SECRET, NODE))).status).toBe(401);
  expect((await post(basic(NODE, 'an-old-secret'))).status).toBe(401);
  const failures = relay.logs.filter((l) => l.includes('ingest authentication failed'));
  expect(failures).toHaveLength(2);
  expect(relay.logs.join('\n')).not.toContain(SECRET);
  expect(relay.logs.join('\n')).not.toContain('an-old-secret');
  expect(JSON.parse(failures[1]!)).toMatchObject({ username: NODE, credentials: 'invalid' });
});

it('/metrics is open by default and asks for METRICS_TOKEN when it is set', async () => {
  await start();
  expect((await request(`${relay.url}/metrics`)).statusCode).toBe(200);
  await relay.close();
  await start({ METRICS_TOKEN });
  const refused = await request(`${relay.url}/metrics`);
  expect(refused.statusCode).toBe(401);
  expect(((await refused.body.json()) as any).error.code).toBe('KCR_ERR_METRICS_AUTH');
  const scraped = await request(`${relay.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(scraped.statusCode).toBe(200);
  expect(await scraped.body.text()).toContain('kcr_ingest_requests_total');
});
