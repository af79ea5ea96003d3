// The catch-up end to end, on both stores: a relay with KEYCLOAK_SOURCES reading a Keycloak
// stand-in on loopback (test/support/keycloak-stand-in.ts: the token endpoint and the two lists,
// offset paging by time alone). Every event Keycloak saved is stored once, also while events arrive
// during a read (many in the millisecond just read, that millisecond reordered on every query); an
// event pushed through Phase Two's webhook first is not stored again, and one caught up first is a
// duplicate when pushed; a 401, a 403 and a 503 are retried, counted and shown without blocking
// ingest or readiness.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS } from '../../src/logout/group.js';
import { postEvent } from '../support/http.js';
import { adminEvent, KeycloakStandIn, phaseTwoDelivery, userEvent, type List, type UserEventRep } from '../support/keycloak-stand-in.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

const P2_SECRET = 'p2-webhook-secret-for-catch-up';
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

const backends = [
  {
    name: 'embedded',
    env: (): Record<string, string> => {
      const dir = mkdtempSync(join(tmpdir(), 'kcr-catch-up-'));
      dataDirs.push(dir);
      return { DATA_DIR: dir };
    },
  },
  { name: 'redis', env: (): Record<string, string> => ({ REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() }) },
];

/** Keycloak's ids of the stored events, each as often as it is stored (p2's and the catch-up's alike). */
async function storedIds(relay: Relay): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (const entry of await relay.store.scan(null, 10_000)) {
    const { source } = entry.event;
    const id = source.keycloakApi?.id ?? source.phasetwo?.id;
    if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  return ids;
}

/** A counter's value for these labels (0 when never counted). */
async function counted(relay: Relay, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await relay.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return values.reduce((sum, v) => sum + v.value, 0);
}

async function getJson(relay: Relay, path: string, auth = false): Promise<{ status: number; json: any }> {
  const res = await request(`${relay.url}${path}`, { headers: auth ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {} });
  return { status: res.statusCode, json: await res.body.json() };
}

async function pushPhaseTwo(relay: Relay, list: List, event: Parameters<typeof phaseTwoDelivery>[1]): Promise<any> {
  const { body, signature } = phaseTwoDelivery(list, event, P2_SECRET);
  const res = await request(`${relay.url}/webhooks/phasetwo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-keycloak-signature': signature },
    body,
  });
  expect(res.statusCode).toBe(200);
  return res.body.json();
}

describe.each(backends)("catch-up from Keycloak's admin API: $name store", (backend) => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!();
  });

  async function standIn(): Promise<KeycloakStandIn> {
    const kc = new KeycloakStandIn();
    await kc.start();
    cleanup.push(() => kc.stop());
    return kc;
  }

  async function relayReading(kc: KeycloakStandIn, source: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<Relay> {
    const relay = await startRelay({
      ...backend.env(),
      KEYCLOAK_SOURCES: JSON.stringify([kc.source({ interval: '300ms', ...source })]),
      PHASETWO_SECRETS: P2_SECRET,
      ...env,
    });
    cleanup.push(() => relay.close());
    return relay;
  }

  it('stores every saved event once, while events arrive during the read, many in the millisecond just read', async () => {
    const kc = await standIn();
    kc.shuffleTies = true;
    const t0 = Date.now() - 3_600_000;
    // Several events per millisecond, so that page boundaries fall inside them.
    for (let i = 0; i < 30; i++) kc.add('events', userEvent(t0 + Math.floor(i / 4)));
    for (let i = 0; i < 12; i++) kc.add('admin-events', adminEvent(t0 + Math.floor(i / 3)));
    let arrivals = 0;
    kc.beforePage = (req) => {
      if (arrivals >= 24 || req.dateFrom === null) return;
      arrivals += 2;
      // Saved between two pages: one in the very millisecond the reader just read, one later.
      if (req.list === 'events') kc.add('events', userEvent(req.dateFrom), userEvent(req.dateFrom + 7));
      else kc.add('admin-events', adminEvent(req.dateFrom), adminEvent(req.dateFrom + 7));
    };
    const relay = await relayReading(kc, { pageSize: 3 });
    const expected = () => [...kc.saved.events, ...kc.saved['admin-events']].map((e) => e.id);
    await until(async () => arrivals >= 24 && (await storedIds(relay)).size === expected().length, 30_000, 'every event stored');
    // Two more runs with nothing new: still each once.
    const runs = await counted(relay, 'kcr_source_poll_total', { outcome: 'ok' });
    await until(async () => (await counted(relay, 'kcr_source_poll_total', { outcome: 'ok' })) >= runs + 2, 10_000, 'two more runs');
    const ids = await storedIds(relay);
    expect([...ids.keys()].sort()).toEqual(expected().sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(kc.requests.every((r) => r.direction === 'asc' && r.first === 0)).toBe(true);
    // Every event is stored as a canonical event of its kind, under a uid of the relay's.
    const [entry] = await relay.store.scan(null, 1);
    expect(entry!.event.source).toMatchObject({
      node: 'keycloak-api',
      format: 'keycloak-api',
      uidAssigned: true,
      keycloakApi: { source: 'acme', realm: 'acme' },
    });
    expect(await counted(relay, 'kcr_source_events_total', { source: 'acme', outcome: 'accepted' })).toBe(expected().length);
  });

  it('does not store again what Phase Two pushed first, and answers a push of what it caught up first as a duplicate', async () => {
    const kc = await standIn();
    const relay = await relayReading(kc);
    const t0 = Date.now() - 60_000;
    const pushedFirst: Array<[List, UserEventRep | ReturnType<typeof adminEvent>]> = [
      ['events', userEvent(t0)],
      ['events', userEvent(t0 + 1, { type: 'LOGOUT' })],
      ['admin-events', adminEvent(t0 + 2)],
      [
        'admin-events',
        adminEvent(t0 + 3, {
          operationType: 'DELETE',
          resourceType: 'USER_SESSION',
          resourcePath: 'sessions/s-1',
          representation: '{"offline":false}',
        }),
      ],
    ];
    for (const [list, event] of pushedFirst) expect(await pushPhaseTwo(relay, list, event)).toMatchObject({ status: 'accepted' });
    for (const [list, event] of pushedFirst) (kc.saved[list] as object[]).push(event);
    await until(
      async () => (await counted(relay, 'kcr_source_events_total', { outcome: 'duplicate' })) === pushedFirst.length,
      10_000,
      'caught up as duplicates',
    );
    expect(await counted(relay, 'kcr_source_events_total', { outcome: 'accepted' })).toBe(0);

    const caughtUpFirst: Array<[List, UserEventRep | ReturnType<typeof adminEvent>]> = [
      ['events', userEvent(t0 + 10)],
      ['events', userEvent(t0 + 11, { type: 'LOGOUT' })],
      ['admin-events', adminEvent(t0 + 12)],
    ];
    for (const [list, event] of caughtUpFirst) (kc.saved[list] as object[]).push(event);
    await until(
      async () => (await counted(relay, 'kcr_source_events_total', { outcome: 'accepted' })) === caughtUpFirst.length,
      10_000,
      'caught up',
    );
    for (const [list, event] of caughtUpFirst) expect(await pushPhaseTwo(relay, list, event)).toEqual({ status: 'duplicate' });

    const ids = await storedIds(relay);
    expect(ids.size).toBe(pushedFirst.length + caughtUpFirst.length);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    // The logout translation tags what the catch-up stored as pushed events are: the logout group
    // is handed the session-ending ones only (the LOGOUTs and the session deletion).
    await relay.store.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
    const handed = await relay.store.readNew(LOGOUT_GROUP, 'test', 100, 0);
    expect(handed.map((e) => e.event.type ?? e.event.resourceType).sort()).toEqual(['LOGOUT', 'LOGOUT', 'USER_SESSION']);
  });

  it('starts a first run DEDUP_WINDOW back, or at `since`, storing what is older than the window as late', async () => {
    const kc = await standIn();
    const before = Date.now();
    const old = userEvent(before - 2 * 3_600_000);
    const recent = userEvent(before - 600_000);
    kc.add('events', old, recent);
    const relay = await relayReading(kc, { adminEvents: false }, { DEDUP_WINDOW: '1h' });
    await until(async () => (await counted(relay, 'kcr_source_poll_total', { outcome: 'ok' })) >= 2, 10_000, 'two runs');
    expect([...(await storedIds(relay)).keys()]).toEqual([recent.id]);
    // The first request asked from an hour before the run.
    const first = kc.requests[0]!;
    expect(first.dateFrom).toBeGreaterThanOrEqual(before - 3_600_000);
    expect(first.dateFrom).toBeLessThanOrEqual(first.at - 3_600_000);

    const since = await relayReading(
      kc,
      { adminEvents: false, name: 'from-since', since: new Date(before - 3 * 3_600_000).toISOString() },
      { DEDUP_WINDOW: '1h' },
    );
    await until(async () => (await storedIds(since)).size === 2, 10_000, 'both stored');
    expect(await counted(since, 'kcr_events_late_total', {})).toBe(1);
    expect(since.logs.filter((line) => line.includes('catch-up source starts before DEDUP_WINDOW'))).toHaveLength(1);
    expect(relay.logs.filter((line) => line.includes('starts before DEDUP_WINDOW'))).toEqual([]);
    const late = (await since.store.scan(null, 10)).find((e) => e.event.source.keycloakApi?.id === old.id);
    expect(late?.event.late).toBe(true);
  });

  it('retries a 401, a 403 and a 503 with backoff, counts and shows them, and never blocks ingest or readiness', async () => {
    const kc = await standIn();
    kc.add('events', userEvent(Date.now() - 60_000));
    // The token endpoint refuses the client (a wrong or rotated secret).
    kc.failures.push({
      on: 'token',
      status: 401,
      body: '{"error":"invalid_client","error_description":"Invalid client credentials"}',
      times: 1e9,
    });
    const relay = await relayReading(kc, {}, { ADMIN_TOKEN });

    const shows = async (outcome: string): Promise<boolean> => {
      const ready = await getJson(relay, '/readyz');
      const source = ready.json.sources?.[0];
      return ready.status === 200 && source?.state === 'failing' && source.outcome === outcome;
    };
    await until(() => shows('unauthorized'), 10_000, '401 shown on /readyz');
    // Tried again, and again.
    const summaryOf = async () => (await getJson(relay, '/admin/summary', true)).json.sources[0];
    await until(async () => (await summaryOf()).lastPoll.failures >= 3, 10_000, 'the 401 retried');
    const summary = await summaryOf();
    expect(summary).toMatchObject({ name: 'acme', state: 'failing', pollingHere: true, lastPoll: { outcome: 'unauthorized' } });
    expect(summary.lastPoll.error).toContain('invalid_client');
    expect(summary.lastPoll.error).not.toContain(kc.clientSecret);
    // Ingest goes on meanwhile.
    expect((await postEvent(relay.url, loginEventJson(freshUid()))).json).toMatchObject({ status: 'accepted' });
    kc.failures.length = 0;
    await until(async () => (await storedIds(relay)).size === 1, 10_000, 'stored once the token is granted');
    await until(async () => (await getJson(relay, '/readyz')).json.sources[0].state === 'ok', 10_000, 'shown ok again');

    // A 401 on a list (its token revoked): a new token is asked for.
    const tokens = kc.tokensIssued;
    kc.revokeTokens();
    kc.add('events', userEvent(Date.now() - 50_000));
    await until(async () => (await storedIds(relay)).size === 2, 10_000, 'stored with a new token');
    expect(kc.tokensIssued).toBeGreaterThan(tokens);

    // 403: the service account lost view-events.
    kc.viewEvents = false;
    await until(() => shows('forbidden'), 10_000, '403 shown');
    kc.viewEvents = true;

    // 503 with Retry-After, until it is seen; then everything saved meanwhile comes in.
    kc.failures.push({ on: 'events', status: 503, headers: { 'retry-after': '1' }, times: 1e9 });
    kc.add('events', userEvent(Date.now() - 40_000));
    await until(() => shows('unavailable'), 10_000, '503 shown');
    expect((await postEvent(relay.url, loginEventJson(freshUid()))).json).toMatchObject({ status: 'accepted' });
    kc.failures.length = 0;
    await until(async () => (await storedIds(relay)).size === 3, 10_000, 'stored after the 503s');

    for (const outcome of ['unauthorized', 'forbidden', 'unavailable', 'ok']) {
      expect(await counted(relay, 'kcr_source_poll_total', { source: 'acme', outcome }), outcome).toBeGreaterThan(0);
    }
    const text = await (await request(`${relay.url}/metrics`)).body.text();
    expect(text).toMatch(/^kcr_source_lag_seconds\{source="acme"\} \d/m);
    expect([...(await storedIds(relay)).values()]).toEqual([1, 1, 1]);
  });
});
