import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionKeys } from '../../src/store/redis/keys.js';
import { golden } from '../support/flatbuffer-goldens.js';
import { adminEventJson, basic, freshUid, loginEventJson, uidAt } from '../support/payloads.js';
import { ADMIN_TOKEN, NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

const redisUrl = inject('redisUrl');
let relay: Relay;
let redis: Redis;
let keys: ReturnType<typeof partitionKeys>;

async function post(body: string | Buffer, headers: Record<string, string> = {}, path = '/events') {
  const res = await request(`${relay.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(NODE, SECRET), ...headers },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function admin(path: string) {
  const res = await request(`${relay.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.statusCode, json: (await res.body.json()) as any };
}

beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: redisUrl, AUTH_USERNAMES: `${NODE},kc-node-2` });
  redis = new Redis(redisUrl);
  keys = partitionKeys(relay.config.KEY_PREFIX);
});
afterAll(async () => {
  await relay.close();
  redis.disconnect();
});

describe('ingest of JSON events', () => {
  it('stores an Event once and answers 200 accepted with the uid as a decimal string', async () => {
    const uid = freshUid();
    const res = await post(loginEventJson(uid));
    expect(res).toMatchObject({ status: 200, json: { status: 'accepted', uid } });
    const stored = await admin(`/admin/events/${uid}`);
    expect(stored.status).toBe(200);
    expect(stored.json).toMatchObject({
      uid,
      kind: 'event',
      type: 'LOGIN',
      realmId: 'master',
      details: { auth_method: 'openid-connect', username: 'alice' },
      late: false,
      source: { node: NODE, format: 'json', uidAssigned: false },
    });
  });

  it('accepts the historical path /event/receiver and AdminEvents', async () => {
    const uid = freshUid();
    const res = await post(adminEventJson(uid), {}, '/event/receiver');
    expect(res.json).toEqual({ status: 'accepted', uid });
    const stored = await admin(`/admin/events/${uid}`);
    expect(stored.json).toMatchObject({ kind: 'admin', resourceType: 'USER', operationType: 'ACTION' });
    expect(stored.json.authDetails).toMatchObject({ username: 'admin', clientId: 'security-admin-console' });
  });

  it('answers a resend with 200 duplicate and stores it once', async () => {
    const uid = freshUid();
    const before = await redis.xlen(keys.events);
    expect((await post(loginEventJson(uid))).json.status).toBe('accepted');
    expect((await post(loginEventJson(uid))).json).toEqual({ status: 'duplicate', uid });
    expect(await redis.xlen(keys.events)).toBe(before + 1);
  });

  it('stores exactly one of 40 concurrent resends of one uid', async () => {
    const uid = freshUid();
    const before = await redis.xlen(keys.events);
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(loginEventJson(uid))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const statuses = answers.map((a) => a.json.status);
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(39);
    expect(await redis.xlen(keys.events)).toBe(before + 1);
  });

  it('keeps two uids that differ only in their low bits apart (no JS number on the way)', async () => {
    const now = Date.now();
    const a = uidAt(now, 0);
    const b = uidAt(now, 1);
    expect(Number(a)).toBe(Number(b)); // they collapse as doubles: the case that must not happen to us
    expect((await post(loginEventJson(a))).json).toEqual({ status: 'accepted', uid: a });
    expect((await post(loginEventJson(b))).json).toEqual({ status: 'accepted', uid: b });
    expect((await admin(`/admin/events/${a}`)).json.uid).toBe(a);
    expect((await admin(`/admin/events/${b}`)).json.uid).toBe(b);
  });

  it('decodes an ISO-8859-1 body (the emitter default charset) whatever the content type', async () => {
    const uid = freshUid();
    const latin1 = Buffer.from(loginEventJson(uid, { realmId: 'réalm' }), 'latin1');
    expect(latin1.includes(0xe9)).toBe(true);
    const res = await post(latin1, { 'content-type': 'text/plain' });
    expect(res.json.status).toBe('accepted');
    expect((await admin(`/admin/events/${uid}`)).json.realmId).toBe('réalm');
  });

  it('assigns and marks a uid when the body has none', async () => {
    const res = await post(JSON.stringify({ time: Date.now(), type: 'LOGOUT', realmId: 'master', details: null }));
    expect(res.json.status).toBe('accepted');
    expect(res.json.uid).toMatch(/^\d+$/);
    const stored = await admin(`/admin/events/${res.json.uid}`);
    expect(stored.json.source.uidAssigned).toBe(true);
  });

  it('stores a uid older than the dedup window, flagged late', async () => {
    const uid = uidAt(Date.now() - 8 * 86_400_000);
    expect((await post(loginEventJson(uid))).json.status).toBe('accepted');
    expect((await admin(`/admin/events/${uid}`)).json.late).toBe(true);
    expect((await post(loginEventJson(uid))).json.status).toBe('duplicate');
  });
});

describe('ingest of FlatBuffer events', () => {
  it('stores a {type, obj} body under the configured profile, recording format and schema', async () => {
    const g = golden('emitter-2018--admin-user-logout');
    const res = await post(JSON.stringify({ type: g.type, obj: g.obj }));
    expect(res.json.status).toBe('accepted');
    const stored = await admin(`/admin/events/${res.json.uid}`);
    expect(stored.json).toMatchObject({
      kind: 'admin',
      resourceType: g.expected.resourceType,
      operationType: g.expected.operationType,
      resourcePath: g.expected.resourcePath,
      source: { node: NODE, format: 'flatbuffer', schema: 'emitter-2018' },
    });
    expect((await post(JSON.stringify({ type: g.type, obj: g.obj }))).json.status).toBe('duplicate');
  });
});

describe('bad input', () => {
  it('answers 400 KCR_ERR_BODY_NOT_JSON for a body that is not a JSON object, storing nothing', async () => {
    const before = [await redis.xlen(keys.events), await redis.xlen(keys.quarantine)];
    for (const body of ['not json', '[1,2]', '"str"', '42', 'null', '{"a":']) {
      const res = await post(body);
      expect(res.status, body).toBe(400);
      expect(res.json.error.code, body).toBe('KCR_ERR_BODY_NOT_JSON');
    }
    expect([await redis.xlen(keys.events), await redis.xlen(keys.quarantine)]).toEqual(before);
  });

  it('answers 400 for an empty body', async () => {
    const res = await post('');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('KCR_ERR_BODY_NOT_JSON');
  });

  it('quarantines an authenticated undecodable body with its raw bytes and error', async () => {
    const before = await redis.xlen(keys.quarantine);
    const body = '{"time":1,"realmId":"master","uid":1}';
    const res = await post(body);
    expect(res).toMatchObject({ status: 200, json: { status: 'quarantined', error: { code: 'KCR_ERR_EVENT_KIND' } } });
    expect(await redis.xlen(keys.quarantine)).toBe(before + 1);
    const [entry] = await redis.xrevrange(keys.quarantine, '+', '-', 'COUNT', 1);
    const fields = entry![1];
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
    expect(record).toMatchObject({ node: NODE, errorCode: 'KCR_ERR_EVENT_KIND' });
    expect(Buffer.from(record.body!, 'base64').toString()).toBe(body);
    const listed = await admin('/admin/quarantine?limit=1');
    expect(listed.json).toEqual([
      expect.objectContaining({
        node: NODE,
        errorCode: 'KCR_ERR_EVENT_KIND',
        bytes: body.length,
        body: Buffer.from(body).toString('base64'),
      }),
    ]);
  });

  it('refuses a uid from the future with its own code', async () => {
    const uid = uidAt(Date.now() + 3_600_000);
    const res = await post(loginEventJson(uid));
    expect(res.json).toMatchObject({ status: 'quarantined', error: { code: 'KCR_ERR_UID_FUTURE' } });
    expect((await admin(`/admin/events/${uid}`)).status).toBe(404);
  });

  it('answers 413 over BODY_LIMIT', async () => {
    const res = await post(loginEventJson(freshUid(), { representation: 'x'.repeat(relay.config.BODY_LIMIT) }));
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe('KCR_ERR_BODY_TOO_LARGE');
    expect(await relay.metrics.registry.getSingleMetricAsString('kcr_ingest_requests_total')).toMatch(/outcome="too_large"\} 1/);
  });
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate when credentials are missing or wrong', async () => {
    const missing = await post(loginEventJson(freshUid()), { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic /);
    expect(missing.json.error.code).toBe('KCR_ERR_AUTH_MISSING');
    const wrong = await post(loginEventJson(freshUid()), { authorization: basic(NODE, 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('KCR_ERR_AUTH_INVALID');
  });

  it('refuses a username outside AUTH_USERNAMES even with the right secret', async () => {
    const res = await post(loginEventJson(freshUid()), { authorization: basic('intruder', SECRET) });
    expect(res.status).toBe(401);
  });

  it('keeps the secret out of the logs', async () => {
    await post(loginEventJson(freshUid()), { authorization: basic(NODE, 'a-wrong-guess') });
    const all = relay.logs.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(Buffer.from(`${NODE}:${SECRET}`).toString('base64'));
    expect(all).not.toContain('a-wrong-guess');
  });
});

describe('admin and health routes', () => {
  it('requires the bearer token for /admin', async () => {
    const res = await request(`${relay.url}/admin/events/1`, { headers: { authorization: 'Bearer wrong' } });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as any).error.code).toBe('KCR_ERR_ADMIN_AUTH');
  });

  it('answers 400 for a uid that is not an int64 and 404 for an unknown one', async () => {
    expect((await admin('/admin/events/12a')).json.error.code).toBe('KCR_ERR_UID_PARAM');
    expect((await admin('/admin/events/9223372036854775808')).status).toBe(400);
    const unknown = await admin(`/admin/events/${freshUid()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('KCR_ERR_EVENT_NOT_FOUND');
  });

  it('reports liveness, readiness and metrics', async () => {
    expect((await request(`${relay.url}/healthz`)).statusCode).toBe(200);
    const ready = await request(`${relay.url}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ status: 'ready', store: 'redis', reachable: true });
    const metrics = await (await request(`${relay.url}/metrics`)).body.text();
    expect(metrics).toMatch(/kcr_ingest_requests_total\{outcome="accepted"\} \d+/);
    expect(metrics).toMatch(/kcr_ingest_requests_total\{outcome="duplicate"\} \d+/);
  });
});
