// Phase Two's captured webhook deliveries (p2-inc/keycloak-events v0.62 on Keycloak 26.6 classes),
// replayed byte for byte over a raw socket to POST /webhooks/phasetwo on both stores, the relay's
// clock set to the captures' moment (the bearer token's iat): every one is stored once with the
// meaning its `expected` gives, each logout it meant is published exactly once (Redis pub/sub, or
// the SSE stream without Redis), resends and the same Keycloak event under another p2 uid stay
// single, and every refusal is a coded 401 that stores and publishes nothing.
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CanonicalEvent } from '../../src/event/canonical.js';
import type { LogoutMessage } from '../../src/logout/message.js';
import { ADMIN_TOKEN, clockFrom, startRelay, type Relay } from '../support/relay.js';
import {
  fixtureJwks,
  captureBackends,
  loadPhaseTwoCaptures,
  PHASETWO_DIR,
  phaseTwoPresent,
  rawRequest,
  skipReason,
  withHeader,
  type LogoutListener,
  type PhaseTwoCapture,
} from '../support/sender-captures.js';
import { until } from '../support/sink.js';

const PATH = '/webhooks/phasetwo';
const captures = loadPhaseTwoCaptures();
const hmac = captures.filter((c) => c.authType === 'hmac');
const bearer = captures.find((c) => c.authType === 'bearer');

if (!phaseTwoPresent) it.skip(`Phase Two captures over HTTP (${skipReason(PHASETWO_DIR)})`, () => {});

const stores = captureBackends(() => inject('redisUrl'));
const backends = phaseTwoPresent ? stores.backends : [];
afterAll(() => stores.cleanup());

const secret = () => hmac[0]!.secret as string;
const sign = (body: Buffer | string, key = secret(), algorithm = 'sha256') => createHmac(algorithm, key).update(body).digest('hex');

/** A capture's body with some top-level members replaced (key order kept), signed as p2 signs. */
function variant(c: PhaseTwoCapture, changes: Record<string, unknown>, key = secret()): { headers: Array<[string, string]>; body: Buffer } {
  const body = Buffer.from(JSON.stringify({ ...JSON.parse(c.body.toString('utf8')), ...changes }), 'utf8');
  return { body, headers: withHeader(c.request.headers, 'X-Keycloak-Signature', sign(body, key), body) };
}

const post = (relay: Relay, headers: Array<[string, string]>, body: Buffer | string) => rawRequest(relay.url, 'POST', PATH, headers, body);
const replay = (relay: Relay, c: PhaseTwoCapture) => post(relay, c.request.headers, c.body);

async function stored(relay: Relay, uid: string): Promise<CanonicalEvent> {
  const res = await request(`${relay.url}/admin/events/${uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as CanonicalEvent;
}

/** What `expected` says the body meant, as the canonical event holds it. */
function expectMeaning(event: CanonicalEvent, c: PhaseTwoCapture): void {
  const e = c.expected;
  expect(event, c.file).toMatchObject({
    kind: e.kind,
    time: e.time,
    realmId: e.realmId,
    error: e.error,
    source: {
      node: 'phasetwo',
      format: 'phasetwo',
      uidAssigned: true,
      phasetwo: { id: e.id, uid: e.uid, type: e.type, realmName: e.realmName },
    },
  });
  // u09's expected says null where its body has {} (p2 always sends an object): the canonical {} either way.
  expect(event.details, c.file).toEqual(e.details ?? {});
  if (e.kind === 'event') {
    expect(event, c.file).toMatchObject({
      type: e.keycloakEventType,
      operationType: null,
      clientId: e.clientId,
      userId: e.userId,
      sessionId: e.sessionId,
      ipAddress: e.ipAddress,
      authDetails: null,
      // p2 sends the realm NAME in authDetails.realmId; it stays where p2 put it.
      source: { phasetwo: { authDetails: { username: e.username, realmId: e.realmName } } },
    });
  } else {
    expect(event, c.file).toMatchObject({
      type: null,
      operationType: e.operationType,
      resourceType: e.resourceType,
      resourcePath: e.resourcePath,
      representation: e.representation ?? null,
      clientId: null,
      userId: null,
      sessionId: null,
      // The administrator; its realm is only named (p2 sends no id for it), so the id stays null.
      authDetails: { realmId: null, clientId: e.clientId, userId: e.userId, username: e.username, ipAddress: e.ipAddress },
      source: { phasetwo: { resourceId: e.resourceId, authDetails: { realmId: e.authRealmName } } },
    });
  }
}

/**
 * The logouts a capture meant. a02 (an admin disabling a user) ends no session in Keycloak, but the
 * relay's table (docs/logout.md, "user-disabled") revokes the user's tokens for it, as for every sender.
 */
function expectedLogouts(c: PhaseTwoCapture): Array<Pick<LogoutMessage, 'kind' | 'realmId' | 'userId' | 'sessionId'>> {
  const l = c.expected.logout;
  const meant = l ? [{ kind: l.kind, realmId: l.realmId as string, userId: l.userId, sessionId: l.sessionId }] : [];
  if (c.file.startsWith('a02')) meant.push({ kind: 'user', realmId: c.expected.realmId, userId: c.expected.resourceId!, sessionId: null });
  return meant;
}

describe.each(backends)('Phase Two captures, $name store', (backend) => {
  let relay: Relay;
  let listener: LogoutListener;
  /** The uid each capture was stored under. */
  const uids = new Map<string, string>();

  beforeAll(async () => {
    const env = {
      ...backend.env(),
      PHASETWO_SECRETS: secret(),
      TOKEN_ISSUERS: JSON.stringify([{ issuer: bearer!.issuer, audiences: [bearer!.audience], jwks: fixtureJwks(PHASETWO_DIR) }]),
    };
    // The bearer token is valid for 300 s from its iat: the relay's clock runs from then.
    relay = await startRelay(env, { logout: true, now: clockFrom(bearer!.expected.jwtClaims!.iat * 1000 + 1_000) });
    listener = await backend.listen(relay);
  });
  afterAll(async () => {
    await listener?.close();
    await relay?.close();
  });

  /** Posts a fresh logout and waits for its message: whatever was published before it was heard first. */
  async function barrier(): Promise<void> {
    const u03 = captures.find((c) => c.file.startsWith('u03'))!;
    const sessionId = randomUUID();
    const fresh = variant(u03, {
      id: randomUUID(),
      uid: randomUUID(),
      authDetails: { ...JSON.parse(u03.body.toString()).authDetails, sessionId },
    });
    expect((await post(relay, fresh.headers, fresh.body)).json.status).toBe('accepted');
    await until(() => listener.messages.some((m) => m.sessionId === sessionId), 10_000, 'barrier logout heard');
  }

  it('stores every capture, replayed byte for byte, once, with the meaning its expected gives', async () => {
    for (const c of captures) {
      const answer = await replay(relay, c);
      expect(answer.status, c.file).toBe(200);
      expect(answer.json, c.file).toEqual({ status: 'accepted', uid: expect.stringMatching(/^\d+$/) });
      uids.set(c.file, answer.json.uid);
      expectMeaning(await stored(relay, answer.json.uid), c);
      // r01: p2 sent the same bytes again after a 503; here the first was stored, so the retry is a duplicate.
      for (const attempt of (c.attempts ?? []).slice(1)) {
        expect(attempt.identicalToFirstRequest).toBe(true);
        expect((await replay(relay, c)).json, c.file).toEqual({ status: 'duplicate' });
      }
    }
    expect(await relay.store.bufferLength()).toBe(captures.length);
  });

  it('keeps each event single: a resend, a replayed bearer token, the same event id under another p2 uid', async () => {
    for (const c of captures) expect((await replay(relay, c)).json, c.file).toEqual({ status: 'duplicate' });
    // Another webhook (or a manual resend of another send) gives the same Keycloak event another uid.
    for (const c of hmac) {
      const again = variant(c, { uid: randomUUID() });
      expect((await post(relay, again.headers, again.body)).json, c.file).toEqual({ status: 'duplicate' });
    }
    expect(await relay.store.bufferLength()).toBe(captures.length);
  });

  it('refuses a wrong signature, a changed body, a foreign secret and no credential with a coded 401, storing nothing', async () => {
    const u03 = captures.find((c) => c.file.startsWith('u03'))!;
    const fresh = variant(u03, { id: randomUUID(), uid: randomUUID() });
    const wrongSecret = variant(u03, { id: randomUUID(), uid: randomUUID() }, 'another-webhook-secret');
    const signature = fresh.headers.find(([n]) => n === 'X-Keycloak-Signature')![1];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    const changed = Buffer.from(fresh.body.toString().replace('web-app', 'web-apq'));
    const tokenBody = Buffer.from(bearer!.body.toString().replace('web-app', 'web-apq'));
    const cases: Array<[string, Array<[string, string]>, Buffer, string]> = [
      ['a flipped signature digit', withHeader(fresh.headers, 'X-Keycloak-Signature', flipped), fresh.body, 'KCR_ERR_PHASETWO_SIGNATURE'],
      [
        'a body changed under its signature',
        withHeader(fresh.headers, 'X-Keycloak-Signature', signature, changed),
        changed,
        'KCR_ERR_PHASETWO_SIGNATURE',
      ],
      ['a secret not in PHASETWO_SECRETS', wrongSecret.headers, wrongSecret.body, 'KCR_ERR_PHASETWO_SIGNATURE'],
      [
        'HmacSHA1, not in PHASETWO_ALGORITHMS',
        withHeader(fresh.headers, 'X-Keycloak-Signature', sign(fresh.body, secret(), 'sha1')),
        fresh.body,
        'KCR_ERR_PHASETWO_SIGNATURE',
      ],
      ['no signature', withHeader(fresh.headers, 'X-Keycloak-Signature', null), fresh.body, 'KCR_ERR_PHASETWO_UNSIGNED'],
      [
        'a bearer token over another body',
        withHeader(bearer!.request.headers, 'Content-Length', String(tokenBody.length)),
        tokenBody,
        'KCR_ERR_PHASETWO_TOKEN',
      ],
    ];
    for (const [name, headers, body, code] of cases) {
      const answer = await post(relay, headers, body);
      expect(answer.status, name).toBe(401);
      expect(answer.json, name).toEqual({ error: { code, message: expect.any(String) } });
      expect(answer.headers['www-authenticate'], name).toMatch(/^Bearer realm=/);
    }
    expect(await relay.store.bufferLength()).toBe(captures.length);
    await barrier();
    expect(listener.messages.filter((m) => m.eventUid === undefined || ![...uids.values()].includes(m.eventUid))).toHaveLength(1);
  });

  it('quarantines a body that is no Phase Two event but carries a good signature', async () => {
    const u01 = captures.find((c) => c.file.startsWith('u01'))!;
    for (const body of [
      Buffer.from('{"id":"x","time":1,"type":"access.LOGIN"'),
      Buffer.from('{"uid":"u-1","time":1,"type":"system.STARTED"}'),
    ]) {
      const answer = await post(relay, withHeader(u01.request.headers, 'X-Keycloak-Signature', sign(body), body), body);
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ status: 'quarantined', error: { code: 'KCR_ERR_PHASETWO_BODY', message: expect.any(String) } });
    }
    const listed = await relay.store.listQuarantine(2);
    expect(listed.map((q) => [q.node, q.errorCode])).toEqual([
      ['phasetwo', 'KCR_ERR_PHASETWO_BODY'],
      ['phasetwo', 'KCR_ERR_PHASETWO_BODY'],
    ]);
    expect(await relay.store.bufferLength()).toBe(captures.length + 1);
  });

  it('published each logout a capture meant exactly once, and none for the others', async () => {
    await barrier();
    for (const c of captures) {
      const heard = listener.messages.filter((m) => m.eventUid === uids.get(c.file));
      expect(
        heard.map(({ kind, realmId, userId, sessionId }) => ({ kind, realmId, userId, sessionId })),
        c.file,
      ).toEqual(expectedLogouts(c));
    }
  });
});
