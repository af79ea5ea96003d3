// Decode settings per sender over HTTP: the same FlatBuffer byte named by each node's Keycloak
// release, a once-per-node warning while KEYCLOAK_VERSION is unset, UNKNOWN bytes counted per node,
// and the charset a sender declares honoured.
import { Builder } from 'flatbuffers';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Event } from '../../generated/emitter2018/event.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, SECRET, startRelay, type Relay } from '../support/relay.js';

const redisUrl = inject('redisUrl');

/** An Event as a Keycloak-side emitter writes it: the type as a raw ordinal byte. */
function flatEvent(uid: string, typeByte: number): string {
  const b = new Builder(128);
  const realm = b.createString('corp');
  Event.startEvent(b);
  Event.addUid(b, BigInt(uid));
  Event.addTime(b, BigInt(Date.now()));
  Event.addType(b, typeByte);
  Event.addRealmId(b, realm);
  b.finish(Event.endEvent(b));
  return JSON.stringify({ type: 'Event', obj: Buffer.from(b.asUint8Array()).toString('base64') });
}

async function post(relay: Relay, node: string, body: string | Buffer, contentType = 'application/json') {
  const res = await request(`${relay.url}/events`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: basic(node, SECRET) },
    body,
  });
  return (await res.body.json()) as { status: string; uid?: string; error?: { code: string } };
}

async function stored(relay: Relay, uid: string) {
  const res = await request(`${relay.url}/admin/events/${uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return (await res.body.json()) as { type: string; realmId: string; source: { keycloak: string; enumBytes: Record<string, number> } };
}

const warnings = (relay: Relay, node: string) =>
  relay.logs.filter((l) => l.includes('"level":40') && l.includes(`FlatBuffer bodies from ${node}`));

describe('a rolling upgrade: nodes of Keycloak 6 and 8 behind one relay', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({
      REDIS_URL: redisUrl,
      FLATBUFFERS_SCHEMA: 'emitter-2018',
      KEYCLOAK_VERSION: '8',
      NODE_SETTINGS: JSON.stringify({ 'kc-old': { keycloakVersion: '6.0.1' }, 'kc-latin': { bodyCharset: 'latin1' } }),
    });
  });
  afterAll(() => relay.close());

  it("names byte 32 by each node's Keycloak: GRANT_CONSENT on 8, REVOKE_GRANT on 6", async () => {
    const onNew = freshUid();
    const onOld = freshUid();
    expect((await post(relay, 'kc-new', flatEvent(onNew, 32))).status).toBe('accepted');
    expect((await post(relay, 'kc-old', flatEvent(onOld, 32))).status).toBe('accepted');
    expect(await stored(relay, onNew)).toMatchObject({ type: 'GRANT_CONSENT', source: { keycloak: '8.0.1', enumBytes: { type: 32 } } });
    expect(await stored(relay, onOld)).toMatchObject({ type: 'REVOKE_GRANT', source: { keycloak: '6.0.1', enumBytes: { type: 32 } } });
    // Both versions are set: nobody is warned.
    expect(relay.logs.some((l) => l.includes('set KEYCLOAK_VERSION'))).toBe(false);
  });

  it("stores the build's UNKNOWN byte as UNKNOWN, keeps the byte, and counts it per node and field", async () => {
    const uid = freshUid();
    expect((await post(relay, 'kc-new', flatEvent(uid, 86))).status).toBe('accepted');
    expect(await stored(relay, uid)).toMatchObject({ type: 'UNKNOWN', source: { enumBytes: { type: 86 } } });
    const metrics = await (await request(`${relay.url}/metrics`)).body.text();
    expect(metrics).toContain('kcr_ingest_unknown_enums_total{node="kc-new",field="type"} 1');
  });

  it('honours a declared charset, and BODY_CHARSET per node when none is declared', async () => {
    // "Ã©" in Latin-1 bytes is C3 A9: valid UTF-8 for "é", the ambiguity of BODY_CHARSET=auto.
    const latin1 = (uid: string) => Buffer.from(loginEventJson(uid, { realmId: 'Ã©' }), 'latin1');
    const [auto, forced, declared] = [freshUid(), freshUid(), freshUid()];
    expect((await post(relay, 'kc-new', latin1(auto))).status).toBe('accepted');
    expect((await post(relay, 'kc-latin', latin1(forced))).status).toBe('accepted');
    expect((await post(relay, 'kc-new', latin1(declared), 'application/json; charset=ISO-8859-1')).status).toBe('accepted');
    expect((await stored(relay, auto)).realmId).toBe('é');
    expect((await stored(relay, forced)).realmId).toBe('Ã©');
    expect((await stored(relay, declared)).realmId).toBe('Ã©');
    // A body that is not what its Content-Type says is kept in quarantine, not guessed at.
    const lying = Buffer.from(loginEventJson(freshUid(), { realmId: 'société' }), 'latin1');
    expect(await post(relay, 'kc-new', lying, 'application/json; charset=utf-8')).toMatchObject({
      status: 'quarantined',
      error: { code: 'KCR_ERR_CHARSET' },
    });
  });
});

describe('KEYCLOAK_VERSION unset', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ REDIS_URL: redisUrl, FLATBUFFERS_SCHEMA: 'emitter-2020' });
  });
  afterAll(() => relay.close());

  it("decodes with the build's default and warns once per node, only when FlatBuffer bodies arrive", async () => {
    expect((await post(relay, 'kc-a', loginEventJson(freshUid()))).status).toBe('accepted');
    expect(warnings(relay, 'kc-a')).toHaveLength(0);
    for (let i = 0; i < 3; i++) expect((await post(relay, 'kc-a', flatEvent(freshUid(), 36))).status).toBe('accepted');
    expect((await post(relay, 'kc-b', flatEvent(freshUid(), 4))).status).toBe('accepted');
    expect(warnings(relay, 'kc-a')).toHaveLength(1);
    expect(warnings(relay, 'kc-b')).toHaveLength(1);
    expect(warnings(relay, 'kc-a')[0]).toContain('named by Keycloak 8.0.1 enums, the default of emitter-2020');
  });
});
