// Forwarding to real HTTP sinks on loopback, through a real Redis.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { postAccepted } from '../support/http.js';
import { loginEventJson, adminEventJson } from '../support/payloads.js';
import { partitionKeys } from '../../src/store/redis/keys.js';
import { ADMIN_TOKEN, startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const redisUrl = inject('redisUrl');
const SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-hmac-sha256').toString('base64')}`;
const open: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function sink(): Promise<Sink> {
  const s = new Sink();
  await s.start();
  open.push({ close: () => s.stop() });
  return s;
}

type StoreKind = 'redis' | 'embedded';
let storeKind: StoreKind = 'redis';

/** A relay on the store under test: Redis, or the embedded store in a fresh DATA_DIR. */
async function relay(destinations: object[], env: Record<string, string> = {}, consumer?: string): Promise<Relay> {
  let storeEnv: Record<string, string> = { REDIS_URL: redisUrl };
  if (storeKind === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'kcr-fwd-'));
    open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
    storeEnv = { DATA_DIR: dir };
  }
  const r = await startRelay({ ...storeEnv, DESTINATIONS: JSON.stringify(destinations), ...env }, consumer ? { consumer } : {});
  open.unshift({ close: () => r.close() });
  return r;
}

const ingest = (r: Relay, n: number, body?: (uid: string) => string): Promise<string[]> => postAccepted(r.url, n, body);

async function adminCall(r: Relay, method: 'GET' | 'POST', path: string, body?: object) {
  const res = await request(`${r.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, json: (await res.body.json()) as any };
}

/** An independent Standard Webhooks verifier, written from the specification. */
function verifyStandardWebhook(secret: string, headers: Record<string, unknown>, body: string): boolean {
  const id = String(headers['webhook-id']);
  const ts = String(headers['webhook-timestamp']);
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const key = Buffer.from(secret.split('_')[1]!, 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((sig) => {
      const [version, value] = sig.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe.each<StoreKind>(['redis', 'embedded'])('on the %s store', (kind) => {
  beforeEach(() => {
    storeKind = kind;
  });

  describe('delivery', () => {
    it('posts the canonical event with Standard Webhooks headers and a verifiable signature', async () => {
      const s = await sink();
      const r = await relay([{ name: 'audit', url: s.url, secret: SECRET }]);
      const [uid] = await ingest(r, 1);
      await until(() => s.delivered.length === 1, 5_000, 'delivery');
      const got = s.received[0]!;
      expect(got.headers['webhook-id']).toBe(uid);
      expect(got.headers['idempotency-key']).toBe(uid);
      expect(JSON.parse(got.body)).toMatchObject({ uid, kind: 'event', type: 'LOGIN' });
      expect(verifyStandardWebhook(SECRET, got.headers, got.body)).toBe(true);
      expect(verifyStandardWebhook(SECRET, got.headers, got.body.replace('LOGIN', 'LOGOUT'))).toBe(false);
      await until(async () => (await r.store.groupState('audit')).pending === 0, 2_000, 'ack');
    });

    it('delivers only what the filter selects, and acknowledges the rest', async () => {
      const s = await sink();
      const r = await relay([{ name: 'logins', url: s.url, filter: { kinds: ['event'], types: ['LOGIN*'], realms: ['master'] } }]);
      const wanted = await ingest(r, 2);
      await ingest(r, 1, adminEventJson);
      await ingest(r, 1, (uid) => loginEventJson(uid, { type: 'LOGOUT' }));
      await ingest(r, 1, (uid) => loginEventJson(uid, { realmId: 'other' }));
      const errorLogin = await ingest(r, 1, (uid) => loginEventJson(uid, { type: 'LOGIN_ERROR', error: 'invalid_user_credentials' }));
      await until(
        async () => (await r.store.groupState('logins')).lag === 0 && (await r.store.groupState('logins')).pending === 0,
        5_000,
        'drain',
      );
      expect(s.delivered.sort()).toEqual([...wanted, ...errorLogin].sort());
      // Ingest tagged each event with the filter's verdict: the store skipped the three others, never
      // handing them to the forwarder, which still counts them as filtered.
      expect(await r.store.groupState('logins')).toMatchObject({ skipped: 3 });
      expect(await r.metrics.registry.getSingleMetricAsString('kcr_forward_filtered_total')).toMatch(/destination="logins"\} 3$/m);
    });
  });

  describe('failures', () => {
    it('retries a 500 until the sink answers 200', async () => {
      const s = await sink();
      s.behave = (_req, i) => ({ status: i < 2 ? 500 : 200 });
      const r = await relay([{ name: 'flaky', url: s.url }]);
      const [uid] = await ingest(r, 1);
      await until(() => s.delivered.includes(uid!), 10_000, 'delivery after retries');
      expect(s.received.length).toBe(3);
      expect(await r.metrics.registry.getSingleMetricAsString('kcr_forward_retried_total')).toMatch(/destination="flaky"\} 2/);
    });

    it('keeps to ratePerSecond', async () => {
      const s = await sink();
      const r = await relay([{ name: 'paced', url: s.url, ratePerSecond: 10, concurrency: 4 }]);
      await ingest(r, 25);
      await until(() => s.delivered.length === 25, 10_000, 'paced deliveries');
      // A bucket of 10 tokens refilled at 10/s: the last 15 requests need at least 1.5 s.
      expect(s.received[24]!.at - s.received[0]!.at).toBeGreaterThanOrEqual(1_400);
    });

    it('honours Retry-After on 429', async () => {
      const s = await sink();
      s.behave = (_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 });
      const r = await relay([{ name: 'limited', url: s.url }]);
      await ingest(r, 1);
      await until(() => s.delivered.length === 1, 10_000, 'delivery after Retry-After');
      expect(s.received[1]!.at - s.received[0]!.at).toBeGreaterThanOrEqual(950);
    });

    it('drains the backlog, oldest first, when a sink that was down comes back', async () => {
      const s = await sink();
      await s.stop();
      const r = await relay([{ name: 'later', url: s.url, concurrency: 1 }]);
      const uids = await ingest(r, 20);
      await new Promise((res) => setTimeout(res, 300));
      await s.start();
      await until(() => new Set(s.delivered).size === 20, 20_000, 'backlog drained');
      const firstSeen = [...new Set(s.delivered)];
      expect(firstSeen).toEqual(uids);
    });

    it('a slow sink times out; after maxAttempts the event is a dead letter, redriven once the sink is fixed', async () => {
      const s = await sink();
      // undici checks headersTimeout on its coarse timers (a tick every ~0.5 s): a 200 ms timeout may
      // fire only after 1 s on a loaded machine, so the sink answers well beyond that.
      s.behave = () => ({ status: 200, delayMs: 4_000 });
      const r = await relay([{ name: 'slow', url: s.url, timeoutMs: 200, maxAttempts: 2 }]);
      const [uid] = await ingest(r, 1);
      let state = await r.store.groupState('slow');
      await until(async () => (state = await r.store.groupState('slow')).deadLetters === 1, 10_000, 'dead letter').catch((err: Error) => {
        // Once seen failing under a loaded full run and never since: what the relay was doing says why.
        throw new Error(
          `${err.message}: group ${JSON.stringify(state)}, ${s.received.length} requests at the sink; relay log:\n${r.logs.join('')}`,
        );
      });
      const letters = await adminCall(r, 'GET', '/admin/destinations/slow/dead-letters');
      expect(letters.json).toHaveLength(1);
      expect(letters.json[0]).toMatchObject({ attempts: 2, lastStatus: null, event: { uid } });
      expect(letters.json[0].lastError).toMatch(/timeout/i);
      expect((await r.store.groupState('slow')).pending).toBe(0);

      s.behave = () => ({ status: 204 });
      // As `curl -X POST -H 'Content-Type: application/json'` sends it: a JSON content type, no body (= all).
      const redrive = await request(`${r.url}/admin/destinations/slow/redrive`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      });
      const job = { status: redrive.statusCode, json: (await redrive.body.json()) as { id: string } };
      expect(job.status).toBe(202);
      await until(async () => (await adminCall(r, 'GET', `/admin/jobs/${job.json.id}`)).json.state === 'done', 10_000, 'redrive');
      expect((await adminCall(r, 'GET', `/admin/jobs/${job.json.id}`)).json).toMatchObject({ delivered: 1, deadLettered: 0 });
      expect(s.delivered).toContain(uid);
      expect((await r.store.groupState('slow')).deadLetters).toBe(0);
      // The redrive sends the bytes first stored and first sent, not a new serialization of the event.
      const bodies = s.received.filter((x) => x.headers['webhook-id'] === uid).map((x) => x.body);
      expect(bodies).toHaveLength(3);
      expect(new Set(bodies).size).toBe(1);
    });

    it('keeps at most BUFFER_CAPACITY dead letters: the oldest are dropped, counted and logged', async () => {
      const s = await sink();
      s.behave = () => ({ status: 400 });
      const r = await relay([{ name: 'refusing', url: s.url, maxAttempts: 1, concurrency: 1 }], { BUFFER_CAPACITY: '3' });
      const uids: string[] = [];
      for (let i = 0; i < 5; i++) {
        uids.push(...(await ingest(r, 1)));
        // One at a time: the ring buffer's own bound (3) must not evict what was not yet handed out.
        await until(
          async () => (await r.store.groupState('refusing')).lag === 0 && (await r.store.groupState('refusing')).pending === 0,
          5_000,
          'dead letter',
        );
      }
      const letters = await adminCall(r, 'GET', '/admin/destinations/refusing/dead-letters');
      expect(letters.json.map((l: { event: { uid: string } }) => l.event.uid)).toEqual(uids.slice(2));
      expect(await r.metrics.registry.getSingleMetricAsString('kcr_forward_dead_letters_dropped_total')).toMatch(
        /destination="refusing"\} 2$/m,
      );
      // Two drops within a minute: one warning line, not one per dropped letter.
      expect(r.logs.filter((l) => l.includes('dead letters full'))).toEqual([expect.stringContaining('"dropped":1')]);
    });

    it('an open circuit costs one probe at a time, not a retry storm', async () => {
      const s = await sink();
      s.behave = () => ({ status: 500 });
      const r = await relay([{ name: 'down', url: s.url, concurrency: 8 }]);
      await ingest(r, 40);
      await new Promise((res) => setTimeout(res, 2_500));
      // 5 failures open the circuit; then probes at 1 s, 2 s (doubling cool-down): far fewer than 40 events × retries.
      expect(s.received.length).toBeLessThanOrEqual(16);
      expect(await r.metrics.registry.getSingleMetricAsString('kcr_forward_circuit_state')).toMatch(/destination="down"\} [12]/);
    });
  });
});

describe('replicas and replay (Redis)', () => {
  beforeEach(() => {
    storeKind = 'redis';
  });

  it('recreates its consumer group when Redis lost it (restart without persistence) and delivers again', async () => {
    const s = await sink();
    const r = await relay([{ name: 'audit', url: s.url }]);
    await ingest(r, 1);
    await until(() => s.delivered.length === 1, 5_000, 'first delivery');
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisUrl);
    await redis.del(partitionKeys(r.config.KEY_PREFIX).events);
    redis.disconnect();
    const [uid] = await ingest(r, 1);
    await until(() => s.delivered.includes(uid!), 10_000, 'delivery after the group was lost');
  });

  it('two replicas share the work: every event delivered once', async () => {
    const s = await sink();
    const prefix = uniquePrefix();
    const destinations = [{ name: 'shared', url: s.url, concurrency: 4 }];
    const a = await relay(destinations, { KEY_PREFIX: prefix }, 'replica-a');
    const b = await relay(destinations, { KEY_PREFIX: prefix }, 'replica-b');
    const uids = [...(await ingest(a, 30)), ...(await ingest(b, 30))];
    await until(() => s.delivered.length >= 60, 15_000, 'all delivered');
    await new Promise((res) => setTimeout(res, 300));
    expect(s.delivered.length).toBe(60);
    expect(new Set(s.delivered)).toEqual(new Set(uids));
  });

  it('replays a uid range still in the buffer to one destination, with progress counts', async () => {
    const s = await sink();
    const r = await relay([{ name: 'replayed', url: s.url }]);
    const uids = await ingest(r, 10);
    await until(() => s.delivered.length === 10, 5_000, 'first delivery');
    const job = await adminCall(r, 'POST', '/admin/replay', { destination: 'replayed', from: uids[3], to: uids[6] });
    expect(job.status).toBe(202);
    await until(async () => (await adminCall(r, 'GET', `/admin/jobs/${job.json.id}`)).json.state === 'done', 10_000, 'replay');
    expect((await adminCall(r, 'GET', `/admin/jobs/${job.json.id}`)).json).toMatchObject({ scanned: 10, matched: 4, delivered: 4 });
    expect(s.delivered.slice(10).sort()).toEqual(uids.slice(3, 7).sort());

    const bad = await adminCall(r, 'POST', '/admin/replay', { destination: 'replayed', from: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('KCR_ERR_REPLAY_REQUEST');
    expect((await adminCall(r, 'POST', '/admin/replay', { destination: 'nope' })).json.error.code).toBe('KCR_ERR_DESTINATION_UNKNOWN');
  });
});
