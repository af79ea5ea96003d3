// Keycloak's SSF transmitter, captured (SETs built and signed by Keycloak's own classes, pushed as
// its push delivery does), replayed byte for byte over a raw socket to POST /ssf/push on both
// stores, the relay's clock set to the capture's moment: each valid SET is stored once as an event
// of kind security-event and its logout published exactly once; each refused one gets RFC 8935's
// 400 with its err and code, and nothing is stored or published; a replayed jti is answered 202 and
// publishes nothing again.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CanonicalEvent } from '../../src/event/canonical.js';
import { postEvent } from '../support/http.js';
import { loginEventJson, uidAt } from '../support/payloads.js';
import { ADMIN_TOKEN, clockFrom, startRelay, type Relay } from '../support/relay.js';
import {
  fixtureJwks,
  captureBackends,
  loadSsfCaptures,
  rawRequest,
  skipReason,
  SSF_DIR,
  ssfPresent,
  withHeader,
  type LogoutListener,
  type SsfCapture,
} from '../support/sender-captures.js';
import { until } from '../support/sink.js';

const captures = loadSsfCaptures();
const valid = captures.filter((c) => c.expected.valid);
const refused = captures.filter((c) => !c.expected.valid);

/** What each refused capture is answered (RFC 8935 2.3), by the reason its fixture gives. */
const REFUSAL_OF: Record<string, { err: string; code: string }> = {
  'x01-wrong-aud.json': { err: 'invalid_audience', code: 'KCR_ERR_SSF_AUDIENCE' },
  'x02-iat-48h-old.json': { err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST' },
  'x04-alg-none.json': { err: 'invalid_key', code: 'KCR_ERR_SSF_KEY' },
  'x06-typ-jwt.json': { err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST' },
};

if (!ssfPresent) it.skip(`SSF captures over HTTP (${skipReason(SSF_DIR)})`, () => {});

const stores = captureBackends(() => inject('redisUrl'));
const backends = ssfPresent ? stores.backends : [];
afterAll(() => stores.cleanup());

const push = (relay: Relay, c: SsfCapture, headers = c.request.headers, body: string = c.body) =>
  rawRequest(relay.url, c.request.method, c.request.path, headers, body);

/** The stored events of kind security-event, by their SET's jti. */
async function storedByJti(relay: Relay): Promise<Map<string, CanonicalEvent[]>> {
  const byJti = new Map<string, CanonicalEvent[]>();
  for (const entry of await relay.store.scan(null, 1000)) {
    const jti = entry.event.source.ssf?.jti;
    if (jti) byJti.set(jti, [...(byJti.get(jti) ?? []), entry.event]);
  }
  return byJti;
}

describe.each(backends)('SSF captures, $name store', (backend) => {
  const config = captures[0]!.receiverConfig;
  let relay: Relay;
  let listener: LogoutListener;
  const clock = clockFrom(config.captureTime * 1000);

  beforeAll(async () => {
    const env = {
      ...backend.env(),
      TOKEN_ISSUERS: JSON.stringify([{ issuer: config.issuer, audiences: [config.audience], jwks: fixtureJwks(SSF_DIR) }]),
      SSF_PUSH_AUTHORIZATION: config.pushAuthorization,
      SSF_MAX_SET_AGE: `${config.maxSetAgeSeconds}s`,
    };
    relay = await startRelay(env, { logout: true, now: clock });
    listener = await backend.listen(relay);
  });
  afterAll(async () => {
    await listener?.close();
    await relay?.close();
  });

  /** Posts an emitter logout and waits for its message: whatever was published before it was heard first. */
  async function barrier(): Promise<void> {
    const sessionId = randomUUID();
    const body = loginEventJson(uidAt(clock()), { type: 'LOGOUT', time: clock(), sessionId });
    expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
    await until(() => listener.messages.some((m) => m.sessionId === sessionId), 10_000, 'barrier logout heard');
  }

  it('accepts each valid SET with 202 and stores it once as a security-event', async () => {
    for (const c of valid) {
      const answer = await push(relay, c);
      expect(answer.status, c.file).toBe(202);
      expect(answer.body, c.file).toBe('');
    }
    const stored = await storedByJti(relay);
    for (const c of valid) {
      const { payload } = c.decoded;
      const [type, event] = Object.entries(payload.events)[0]!;
      const events = stored.get(payload.jti) ?? [];
      expect(events, c.file).toHaveLength(1);
      const logout = c.expected.logout;
      expect(events[0], c.file).toMatchObject({
        kind: 'security-event',
        type,
        realmId: 'acme',
        time: ((event as { event_timestamp: number }).event_timestamp ?? payload.iat) * 1000,
        userId: logout ? logout.userId : expect.any(String),
        source: { node: 'ssf', format: 'ssf', ssf: { issuer: config.issuer, jti: payload.jti } },
      });
      if (logout) expect(events[0]!.sessionId, c.file).toBe(logout.sessionId);
      if (logout?.email) expect(events[0]!.details.email, c.file).toBe(logout.email);
      // Destinations receive the SET's claims as signed.
      expect(JSON.parse(events[0]!.representation!), c.file).toEqual(payload);
      // And operators find it by its uid.
      const res = await request(`${relay.url}/admin/events/${events[0]!.uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.statusCode, c.file).toBe(200);
      expect(await res.body.json(), c.file).toEqual(events[0]);
    }
  });

  it('refuses each invalid SET with RFC 8935 400 {err, description} and its code, storing nothing', async () => {
    const before = await relay.store.bufferLength();
    for (const c of refused) {
      const answer = await push(relay, c);
      expect(answer.status, c.file).toBe(400);
      expect(answer.headers['content-type'], c.file).toMatch(/^application\/json/);
      expect(answer.json, `${c.file}: ${c.expected.reason}`).toEqual({ ...REFUSAL_OF[c.file], description: expect.any(String) });
    }
    const v01 = valid[0]!;
    const noAuth = await push(relay, v01, withHeader(v01.request.headers, 'Authorization', 'Bearer not-the-stream-token'));
    expect(noAuth.json).toEqual({ err: 'authentication_failed', description: expect.any(String), code: 'KCR_ERR_SSF_AUTH' });
    const asJson = await push(relay, v01, withHeader(v01.request.headers, 'Content-Type', 'application/json'));
    expect(asJson.json).toEqual({ err: 'invalid_request', description: expect.any(String), code: 'KCR_ERR_SSF_REQUEST' });
    expect(await relay.store.bufferLength()).toBe(before);
    const stored = await storedByJti(relay);
    for (const c of refused) expect(stored.get(c.decoded.payload.jti), c.file).toBeUndefined();
  });

  it('answers a replayed SET (same jti) 202, storing and publishing nothing again', async () => {
    for (const c of valid) expect((await push(relay, c)).status, c.file).toBe(202);
    const stored = await storedByJti(relay);
    for (const c of valid) expect(stored.get(c.decoded.payload.jti), c.file).toHaveLength(1);
  });

  it('published each logout a valid SET meant exactly once, and none for the others', async () => {
    await barrier();
    const stored = await storedByJti(relay);
    for (const c of captures) {
      const uid = stored.get(c.decoded.payload.jti)?.[0]?.uid ?? randomUUID();
      const heard = listener.messages.filter((m) => m.eventUid === uid || m.jti === c.decoded.payload.jti);
      const logout = c.expected.logout;
      expect(
        heard.map(({ kind, realmId, userId, sessionId, email, issuer, jti }) => ({ kind, realmId, userId, sessionId, email, issuer, jti })),
        c.file,
      ).toEqual(
        logout
          ? [
              {
                kind: logout.kind,
                realmId: logout.realmName,
                userId: logout.userId,
                sessionId: logout.sessionId,
                email: logout.email ?? undefined,
                issuer: config.issuer,
                jti: c.decoded.payload.jti,
              },
            ]
          : [],
      );
    }
  });
});
