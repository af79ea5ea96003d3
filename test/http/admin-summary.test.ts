// What the status page reads: GET /admin/summary (the registry's numbers, the same as /metrics),
// GET /admin/logouts/recent, the page itself at /; and what a scrape costs the store.
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { request } from 'undici';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { Forwarder } from '../../src/forward/forwarder.js';
import { createStore } from '../../src/store/create-store.js';
import { postEvent } from '../support/http.js';
import { adminEventJson, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, SECRET, startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

let sink: Sink;
let relay: Relay;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  sink = new Sink();
  await sink.start();
  relay = await startRelay(
    {
      REDIS_URL: inject('redisUrl'),
      BUFFER_CAPACITY: '500',
      DESTINATIONS: JSON.stringify([
        { name: 'audit', url: `${sink.url}?token=s3cr3t`, filter: { types: ['LOGIN'] } },
        { name: 'late', url: sink.url, startFrom: 'now' },
      ]),
    },
    { logout: true },
  );
});
afterAll(async () => {
  await relay.close();
  await sink.stop();
});

const get = async (path: string, headers: Record<string, string> = admin) => {
  const res = await request(`${relay.url}${path}`, { headers });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
};

it('summarises ingest, buffer, destinations and logouts as /metrics counts them', async () => {
  await postEvent(relay.url, loginEventJson(freshUid()));
  const resent = loginEventJson(freshUid());
  await postEvent(relay.url, resent);
  await postEvent(relay.url, resent);
  await postEvent(relay.url, '{"type":"Event","obj":"AAAA"}');
  await postEvent(relay.url, adminEventJson(freshUid()));
  await until(() => sink.delivered.length >= 2, 5_000, 'deliveries to audit');

  let summary: any;
  await until(
    async () => {
      summary = JSON.parse((await get('/admin/summary')).body);
      return summary.logout.published >= 1 && summary.destinations.every((d: any) => d.lag === 0 && d.pending === 0);
    },
    10_000,
    'logout published and destinations caught up',
  );
  expect(summary.ingest).toMatchObject({ accepted: 3, duplicate: 1, quarantined: 1 });
  expect(summary.buffer).toMatchObject({ length: 3, capacity: 500, overflow: 'drop-oldest', evicted: 0, lost: 0 });
  expect(summary.ingestDuration.count).toBe(5);
  const audit = summary.destinations.find((d: any) => d.name === 'audit');
  // The filter takes the two LOGINs; the URL is shown without its query (tokens live there).
  expect(audit).toMatchObject({ circuit: 'closed', delivered: 2, filtered: 1, deadLetters: 0, url: sink.url });

  const metrics = (await get('/metrics')).body;
  expect(metrics).toContain('kcr_ingest_requests_total{outcome="accepted"} 3');
  expect(metrics).toContain('kcr_forward_delivered_total{destination="audit"} 2');
  expect(metrics).toContain('kcr_buffer_length 3');
  expect(metrics).toContain('kcr_buffer_capacity 500');
  // Default process metrics under their standard names, as dashboards expect them.
  expect(metrics).toMatch(/^process_cpu_seconds_total /m);
  expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds /m);
  expect(metrics).not.toContain('kcr_process_');
});

it('lists the latest logout messages, newest first', async () => {
  const messages = JSON.parse((await get('/admin/logouts/recent?limit=5')).body);
  expect(messages[0]).toMatchObject({
    kind: 'user',
    reason: 'admin-logout',
    realmId: 'master',
    userId: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
  });
});

it('needs the admin token for the data, not for the page', async () => {
  expect((await get('/admin/summary', {})).status).toBe(401);
  expect((await get('/admin/logouts/recent', { authorization: `Bearer ${SECRET}-wrong-wrong` })).status).toBe(401);
  const page = await get('/', {});
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toContain('text/html');
  expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  expect(page.body).toContain('/status-page/status.js');
  for (const asset of ['/status-page/status.js', '/status-page/charts.js', '/status-page/status.css', '/status-page/icon.svg']) {
    expect((await get(asset, {})).status, asset).toBe(200);
  }
});

it('a scrape reads each destination group once, not once per metric', async () => {
  const config = loadConfig({ AUTH_SECRET: SECRET, REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() });
  const { store } = await createStore(config);
  let reads = 0;
  // The real store, counting the calls a scrape makes.
  const counting = new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'groupState') return (group: string) => (reads++, target.groupState(group));
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  const registry = new Registry();
  const destinations = ['a', 'b', 'c'].map(
    (name) => loadConfig({ AUTH_SECRET: SECRET, DESTINATIONS: JSON.stringify([{ name, url: sink.url }]) }).DESTINATIONS[0]!,
  );
  const lost = new Counter({ name: 'kcr_buffer_lost_total', help: 'lost', labelNames: ['destination'] as const, registers: [registry] });
  new Forwarder({ destinations, store: counting, registry, lost, log: pino({ level: 'silent' }), claimIdleMs: 60_000, consumer: 'c1' });
  for (const name of ['a', 'b', 'c']) await store.ensureGroup(name, 'start');
  const text = await registry.metrics();
  expect(text).toContain('kcr_forward_lag{destination="c"} 0');
  expect(text).toContain('kcr_forward_dead_letters{destination="a"} 0');
  expect(reads).toBe(3);
  await store.close();
});
