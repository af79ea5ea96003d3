// POST /ssf/push beyond the captures, with a realm key made here (inline jwks) and two replicas on
// one Redis: Keycloak's "ALL" session (an admin's sign-out of the user) and email subjects become
// user logouts with revocations isRevoked sees, a credential change ends sessions only under
// SSF_CREDENTIAL_CHANGE=logout, a SET of another type is stored and ends nothing, a jti is taken
// once across replicas, and every malformed or foreign SET is refused with its RFC 8935 err.
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogoutClient, type LogoutClient } from '../../src/client/index.js';
import { CREDENTIAL_CHANGE, SESSION_REVOKED } from '../../src/event/security-events.js';
import { startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { listenOnRedis, rawRequest, type LogoutListener } from '../support/sender-captures.js';
import { until } from '../support/sink.js';

const ISSUER = 'https://kc.example.test/realms/shop';
const AUDIENCE = 'https://relay.example.test/ssf';
const REALM_ID = randomUUID();
const RISC_ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
const redisUrl = inject('redisUrl');
const prefix = uniquePrefix();

interface Key {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

let realmKey: Key;
let a: Relay;
let b: Relay;
let listener: LogoutListener;
let client: LogoutClient;

beforeAll(async () => {
  realmKey = await newKey();
  const env = {
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    TOKEN_ISSUERS: JSON.stringify([{ issuer: ISSUER, audiences: [AUDIENCE], realmId: REALM_ID, jwks: { keys: [realmKey.jwk] } }]),
    SSF_CREDENTIAL_CHANGE: 'logout',
  };
  [a, b] = await Promise.all([startRelay(env, { logout: true, consumer: 'a' }), startRelay(env, { logout: true, consumer: 'b' })]);
  listener = await listenOnRedis(redisUrl, prefix);
  client = await createLogoutClient({ redis: redisUrl, keyPrefix: prefix });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), client?.close(), listener?.close()]);
});

const now = () => Math.floor(Date.now() / 1000);
const issSub = (sub: string) => ({ format: 'iss_sub', iss: ISSUER, sub });

/** A SET as Keycloak's transmitter builds it; `claims` replace or (undefined) remove members. */
function setClaims(type: string, event: Record<string, unknown>, subId: unknown, claims: Record<string, unknown> = {}) {
  const payload: Record<string, unknown> = {
    jti: randomUUID(),
    iss: ISSUER,
    iat: now(),
    aud: AUDIENCE,
    events: { [type]: { event_timestamp: now(), initiating_entity: 'user', ...event } },
    sub_id: subId,
    txn: randomUUID(),
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return payload;
}

const sign = (payload: Record<string, unknown>, key: Key = realmKey, header: Record<string, unknown> = {}) =>
  new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: key.kid, ...header }).sign(key.privateKey);

const push = (relay: Relay, token: string, contentType = 'application/secevent+jwt') =>
  rawRequest(
    relay.url,
    'POST',
    '/ssf/push',
    [
      ['Content-Type', contentType],
      ['Content-Length', String(Buffer.byteLength(token))],
      ['Host', new URL(relay.url).host],
    ],
    token,
  );

const heardJti = (jti: unknown) => listener.messages.filter((m) => m.jti === jti);

it('turns an admin sign-out of a user (session "ALL") into a user logout that isRevoked sees', async () => {
  const sub = randomUUID();
  const claims = setClaims(
    SESSION_REVOKED,
    { reason_admin: { en: 'User logout' } },
    {
      format: 'complex',
      user: issSub(sub),
      session: { format: 'opaque', id: 'ALL' },
    },
  );
  expect((await push(a, await sign(claims))).status).toBe(202);
  await until(() => heardJti(claims.jti).length === 1, 10_000, 'user logout');
  expect(heardJti(claims.jti)[0]).toMatchObject({
    kind: 'user',
    reason: 'session-revoked',
    realmId: REALM_ID,
    userId: sub,
    sessionId: null,
    issuer: ISSUER,
  });
  const iat = claims.iat as number;
  expect(await client.isRevoked({ realmId: REALM_ID, sub, iat })).toBe(true);
  expect(await client.isRevoked({ realmId: REALM_ID, sub: randomUUID(), iat })).toBe(false);
});

it('carries an email subject as given, revoked under the address', async () => {
  const email = `${randomUUID()}@example.test`;
  const claims = setClaims(
    SESSION_REVOKED,
    {},
    { format: 'complex', user: { format: 'email', email }, session: { format: 'opaque', id: 'ALL' } },
  );
  expect((await push(b, await sign(claims))).status).toBe(202);
  await until(() => heardJti(claims.jti).length === 1, 10_000, 'email logout');
  expect(heardJti(claims.jti)[0]).toMatchObject({ kind: 'user', userId: null, email, sessionId: null });
  const iat = claims.iat as number;
  expect(await client.isRevoked({ realmId: REALM_ID, sub: randomUUID(), email, iat })).toBe(true);
  expect(await client.isRevoked({ realmId: REALM_ID, sub: randomUUID(), iat })).toBe(false);
});

it('ends the sessions of a user whose credential changed, under SSF_CREDENTIAL_CHANGE=logout', async () => {
  const sub = randomUUID();
  const claims = setClaims(CREDENTIAL_CHANGE, { credential_type: 'password', change_type: 'update' }, issSub(sub));
  expect((await push(a, await sign(claims))).status).toBe(202);
  await until(() => heardJti(claims.jti).length === 1, 10_000, 'credential change logout');
  expect(heardJti(claims.jti)[0]).toMatchObject({ kind: 'user', reason: 'credential-change', userId: sub });
});

it('stores a SET of another type as a security-event, publishing nothing for it', async () => {
  const claims = setClaims(RISC_ACCOUNT_DISABLED, { reason: 'hijacking' }, issSub(randomUUID()));
  expect((await push(a, await sign(claims))).status).toBe(202);
  const entries = await a.store.scan(null, 1000);
  expect(entries.find((e) => e.event.source.ssf?.jti === claims.jti)?.event).toMatchObject({
    kind: 'security-event',
    type: RISC_ACCOUNT_DISABLED,
    details: { reason: 'hijacking', initiating_entity: 'user', subject_format: 'iss_sub' },
  });
});

it('takes a jti once across replicas: the resend to the other one is 202 and publishes nothing again', async () => {
  const sub = randomUUID();
  const sessionId = randomUUID();
  const claims = setClaims(SESSION_REVOKED, {}, { format: 'complex', user: issSub(sub), session: { format: 'opaque', id: sessionId } });
  const token = await sign(claims);
  const answers = await Promise.all([push(a, token), push(b, token), push(b, token)]);
  expect(answers.map((x) => x.status)).toEqual([202, 202, 202]);
  // A later logout, heard after it: by then a second message would have been heard too.
  const later = setClaims(SESSION_REVOKED, {}, { format: 'complex', user: issSub(sub), session: { format: 'opaque', id: randomUUID() } });
  expect((await push(a, await sign(later))).status).toBe(202);
  await until(() => heardJti(later.jti).length === 1, 10_000, 'later logout');
  expect(heardJti(claims.jti).map((m) => [m.kind, m.sessionId])).toEqual([['session', sessionId]]);
  const entries = await a.store.scan(null, 1000);
  expect(entries.filter((e) => e.event.source.ssf?.jti === claims.jti)).toHaveLength(1);
});

describe('refusals: RFC 8935 400 with its err, nothing stored or published', () => {
  const subject = () => ({ format: 'complex', user: issSub(randomUUID()), session: { format: 'opaque', id: randomUUID() } });
  const cases: Array<{
    name: string;
    err: string;
    code: string;
    token: (claims: Record<string, unknown>) => Promise<string>;
    claims?: Record<string, unknown>;
  }> = [
    { name: 'not a JWT', err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST', token: async () => 'not.a.set' },
    {
      name: 'two events in one SET',
      err: 'invalid_request',
      code: 'KCR_ERR_SSF_REQUEST',
      token: (claims) => sign({ ...claims, events: { [SESSION_REVOKED]: {}, [CREDENTIAL_CHANGE]: {} } }),
    },
    { name: 'iat in the future', err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST', claims: { iat: now() + 600 }, token: (c) => sign(c) },
    { name: 'no jti', err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST', claims: { jti: undefined }, token: (c) => sign(c) },
    { name: 'no typ', err: 'invalid_request', code: 'KCR_ERR_SSF_REQUEST', token: (c) => sign(c, realmKey, { typ: undefined }) },
    {
      name: 'another issuer',
      err: 'invalid_issuer',
      code: 'KCR_ERR_SSF_ISSUER',
      claims: { iss: 'https://kc.example.test/realms/other' },
      token: (c) => sign(c),
    },
    {
      name: 'another audience',
      err: 'invalid_audience',
      code: 'KCR_ERR_SSF_AUDIENCE',
      claims: { aud: 'https://elsewhere.test/ssf' },
      token: (c) => sign(c),
    },
    { name: 'a key the issuer never had', err: 'invalid_key', code: 'KCR_ERR_SSF_KEY', token: async (c) => sign(c, await newKey()) },
    {
      name: 'another key under the realm key id',
      err: 'invalid_key',
      code: 'KCR_ERR_SSF_KEY',
      token: async (c) => sign(c, { ...(await newKey()), kid: realmKey.kid }),
    },
    {
      name: 'HS256 keyed with the public key',
      err: 'invalid_key',
      code: 'KCR_ERR_SSF_KEY',
      token: async (c) =>
        new SignJWT(c)
          .setProtectedHeader({ alg: 'HS256', typ: 'secevent+jwt', kid: realmKey.kid })
          .sign(new TextEncoder().encode(await exportSPKI(realmKey.publicKey))),
    },
  ];
  const sent: unknown[] = [];

  it.each(cases)('$name', async (c) => {
    const claims: Record<string, unknown> = { ...setClaims(SESSION_REVOKED, {}, subject()), ...c.claims };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    sent.push(claims.jti ?? null);
    const before = await a.store.bufferLength();
    const answer = await push(a, await c.token(claims));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ err: c.err, description: expect.any(String), code: c.code });
    // Fixed per code: nothing of the token or of the relay's inside reaches the caller.
    expect(answer.json.description).not.toMatch(/kid|https?:|\d{4}/);
    expect(await a.store.bufferLength()).toBe(before);
  });

  it('published none of them', async () => {
    const later = setClaims(SESSION_REVOKED, {}, subject());
    expect((await push(a, await sign(later))).status).toBe(202);
    await until(() => heardJti(later.jti).length === 1, 10_000, 'barrier');
    for (const jti of sent) if (jti) expect(heardJti(jti)).toEqual([]);
  });
});
