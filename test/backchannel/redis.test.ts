// POST /backchannel-logout over a real Redis, against a local OpenID provider with keys made here:
// Keycloak-built logout tokens become logout messages on the cluster's channels and revocations
// that isRevoked sees; every refusal is a coded 400 that publishes and records nothing; a token is
// accepted once across replicas; the relay follows a key rotation.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogoutClient, type LogoutClient, type LogoutMessage } from '../../src/client/index.js';
import { newKey, segment, TestIssuer } from '../support/oidc-issuer.js';
import { startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';
import { postLogoutToken } from './support.js';

const redisUrl = inject('redisUrl');
const REALM_ID = randomUUID();
const prefix = uniquePrefix();
let shop: TestIssuer;
let other: TestIssuer;
let stranger: TestIssuer;
let a: Relay;
let b: Relay;
let subscriber: Redis;
let client: LogoutClient;
const heard: Array<{ channel: string; message: LogoutMessage }> = [];

const heardJti = (jti: unknown) => heard.filter((h) => h.message.jti === jti);

beforeAll(async () => {
  [shop, other, stranger] = await Promise.all([
    new TestIssuer('shop').start(),
    new TestIssuer('other').start(),
    new TestIssuer('shop').start(),
  ]);
  const env = {
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    BACKCHANNEL_ISSUERS: JSON.stringify([
      { issuer: shop.issuer, audiences: ['web', 'mobile'], realmId: REALM_ID },
      { issuer: other.issuer, audiences: ['any-client'] },
    ]),
    BACKCHANNEL_JWKS_COOLDOWN: '1ms',
  };
  [a, b] = await Promise.all([startRelay(env, { logout: true, consumer: 'a' }), startRelay(env, { logout: true, consumer: 'b' })]);
  subscriber = new Redis(redisUrl);
  subscriber.on('message', (channel: string, text: string) => heard.push({ channel, message: JSON.parse(text) as LogoutMessage }));
  await subscriber.subscribe(`${prefix}logout`, `${prefix}logout:${REALM_ID}`);
  client = await createLogoutClient({ redis: redisUrl, keyPrefix: prefix });
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close(), client?.close()]);
  subscriber?.disconnect();
  await Promise.all([shop?.stop(), other?.stop(), stranger?.stop()]);
});

/** Posts a valid token and waits for its message: whatever was refused before it would have been heard first. */
async function barrier(): Promise<void> {
  const claims = shop.claims('web');
  expect((await postLogoutToken(a.url, await shop.token('web', { claims }))).status).toBe(200);
  await until(() => heardJti(claims.jti).length === 2, 10_000, 'barrier message');
}

it('turns a Keycloak logout token into a session logout on both channels, which isRevoked sees', async () => {
  const claims = shop.claims('web');
  const answer = await postLogoutToken(a.url, await shop.token('web', { claims }));
  expect(answer.status).toBe(200);
  expect(answer.headers['cache-control']).toBe('no-store');
  await until(() => heardJti(claims.jti).length === 2, 10_000, 'message on both channels');

  const got = heardJti(claims.jti);
  expect(got.map((h) => h.channel).sort()).toEqual([`${prefix}logout`, `${prefix}logout:${REALM_ID}`]);
  const message = got[0]?.message as LogoutMessage;
  const iat = claims.iat as number;
  expect(message).toEqual({
    v: 1,
    id: expect.stringMatching(/^\d+$/),
    kind: 'session',
    realmId: REALM_ID,
    userId: claims.sub,
    sessionId: claims.sid,
    clientId: 'web',
    notBefore: iat + 1,
    reason: 'backchannel',
    eventUid: message.id,
    time: iat * 1000,
    issuer: shop.issuer,
    jti: claims.jti,
  });
  const token = { realmId: REALM_ID, sub: claims.sub as string, azp: 'web' };
  expect(await client.isRevoked({ ...token, sid: claims.sid as string, iat })).toBe(true);
  expect(await client.isRevoked({ ...token, sid: claims.sid as string, iat: iat + 1 })).toBe(false);
  expect(await client.isRevoked({ ...token, sid: randomUUID(), iat })).toBe(false);
});

it('logs a user out of the client when the token has no sid (ES256)', async () => {
  const claims = { ...shop.claims('mobile'), sid: undefined };
  expect((await postLogoutToken(b.url, await shop.token('mobile', { key: shop.key('ES256'), claims }))).status).toBe(200);
  await until(() => heardJti(claims.jti).length === 2, 10_000, 'user message');
  expect(heardJti(claims.jti)[0]?.message).toMatchObject({ kind: 'user', userId: claims.sub, sessionId: null, clientId: 'mobile' });
  const iat = claims.iat as number;
  expect(await client.isRevoked({ realmId: REALM_ID, sub: claims.sub as string, azp: 'mobile', iat })).toBe(true);
  expect(await client.isRevoked({ realmId: REALM_ID, sub: claims.sub as string, azp: 'web', iat })).toBe(false);
});

describe('refusals: 400, a coded error, nothing published or recorded', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Array<{
    name: string;
    code: string;
    claims?: Record<string, unknown>;
    token: (claims: Record<string, unknown>) => Promise<string>;
  }> = [
    {
      name: 'signed by another key under the issuer key id',
      code: 'KCR_ERR_BACKCHANNEL_SIGNATURE',
      token: async (claims) => shop.token('web', { claims, key: { ...(await newKey('RS256')), kid: shop.key('RS256').kid } }),
    },
    {
      name: 'alg none',
      code: 'KCR_ERR_BACKCHANNEL_SIGNATURE',
      token: async (claims) => `${segment({ alg: 'none', typ: 'JWT' })}.${segment(claims)}.`,
    },
    {
      name: 'HS256 keyed with the public key',
      code: 'KCR_ERR_BACKCHANNEL_SIGNATURE',
      token: async (claims) =>
        new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: shop.key('RS256').kid, typ: 'JWT' })
          .sign(new TextEncoder().encode(await shop.publicPem())),
    },
    {
      name: 'an issuer not configured',
      code: 'KCR_ERR_BACKCHANNEL_ISSUER',
      token: (claims) => stranger.token('web', { claims: { ...claims, iss: stranger.issuer } }),
    },
    {
      name: 'a key the issuer never published',
      code: 'KCR_ERR_BACKCHANNEL_KEY',
      token: async (claims) => shop.token('web', { claims, key: await newKey('RS256') }),
    },
    {
      name: 'a client not in audiences',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { aud: 'billing' },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'expired',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { iat: now() - 600, exp: now() - 300 },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'iat in the future',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { iat: now() + 600, exp: now() + 720 },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'no events claim',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { events: undefined },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'events without the back-channel logout event',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { events: { 'http://schemas.openid.net/event/other': {} } },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'a nonce',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { nonce: 'n-0S6_WzA2Mj' },
      token: (claims) => shop.token('web', { claims }),
    },
    {
      name: 'neither sub nor sid',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { sub: undefined, sid: undefined },
      token: (claims) => shop.token('web', { claims }),
    },
    { name: 'no jti', code: 'KCR_ERR_BACKCHANNEL_CLAIMS', claims: { jti: undefined }, token: (claims) => shop.token('web', { claims }) },
    {
      name: 'an access token of the same issuer',
      code: 'KCR_ERR_BACKCHANNEL_CLAIMS',
      claims: { typ: 'Bearer' },
      token: (claims) => shop.token('web', { claims }),
    },
    { name: 'not a JWT', code: 'KCR_ERR_BACKCHANNEL_REQUEST', token: async () => 'not.a.jwt' },
  ];

  const refused: Array<Record<string, unknown>> = [];
  it.each(cases)('$name', async (c) => {
    // `undefined` removes a claim from the token (TestIssuer.token).
    const claims: Record<string, unknown> = { ...shop.claims('web'), ...c.claims };
    refused.push(claims);
    const answer = await postLogoutToken(a.url, await c.token(claims));
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: 'invalid_request', error_description: expect.any(String), code: c.code });
  });

  it('refuses a request without exactly one logout_token in a form body', async () => {
    const token = await shop.token('web');
    for (const answer of [
      await postLogoutToken(a.url, null),
      await postLogoutToken(a.url, token, { contentType: 'application/json', body: JSON.stringify({ logout_token: token }) }),
      await postLogoutToken(a.url, token, { body: `logout_token=${token}&logout_token=${token}` }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.json?.code).toBe('KCR_ERR_BACKCHANNEL_REQUEST');
    }
  });

  it('published and recorded none of them', async () => {
    await barrier();
    expect(refused).toHaveLength(cases.length);
    for (const claims of refused) {
      expect(heardJti(claims.jti)).toEqual([]);
      if (typeof claims.sub !== 'string' || typeof claims.sid !== 'string') continue;
      expect(await client.isRevoked({ realmId: REALM_ID, sub: claims.sub, sid: claims.sid, iat: Math.floor(Date.now() / 1000) - 1 })).toBe(
        false,
      );
    }
    expect(await a.metrics.registry.getSingleMetricAsString('kcr_backchannel_logout_requests_total')).toMatch(
      /outcome="KCR_ERR_BACKCHANNEL_SIGNATURE"\} 3/,
    );
  });
});

it('accepts a token once: its replay to another replica, or the same one, is refused and publishes nothing', async () => {
  const claims = shop.claims('web');
  const token = await shop.token('web', { claims });
  expect((await postLogoutToken(a.url, token)).status).toBe(200);
  for (const relay of [b, a]) {
    const replay = await postLogoutToken(relay.url, token);
    expect(replay.status).toBe(400);
    expect(replay.json?.code).toBe('KCR_ERR_BACKCHANNEL_REPLAY');
  }
  await barrier();
  expect(heardJti(claims.jti)).toHaveLength(2);
});

it('follows a key rotation, and no longer trusts the removed key', async () => {
  const oldKey = shop.key('RS256');
  expect((await postLogoutToken(a.url, await shop.token('web'))).status).toBe(200);
  const fetches = shop.jwksFetches;
  const newKey = await shop.rotate();
  expect((await postLogoutToken(a.url, await shop.token('web', { key: newKey }))).status).toBe(200);
  expect(shop.jwksFetches).toBe(fetches + 1);
  const stale = await postLogoutToken(a.url, await shop.token('web', { key: oldKey }));
  expect(stale.json?.code).toBe('KCR_ERR_BACKCHANNEL_KEY');
});

it('refuses a token with an unknown kid while the JWKS is unreachable, and still verifies with the keys it has', async () => {
  await postLogoutToken(b.url, await shop.token('web'));
  shop.down = true;
  try {
    const unknown = await postLogoutToken(b.url, await shop.token('web', { key: await newKey('ES256') }));
    expect(unknown.status).toBe(400);
    expect(unknown.json?.code).toBe('KCR_ERR_BACKCHANNEL_KEY');
    expect((await postLogoutToken(b.url, await shop.token('web'))).status).toBe(200);
  } finally {
    shop.down = false;
  }
});

it('records the logout of an issuer without realmId under its realm name, which isRevoked finds through iss', async () => {
  const claims = other.claims('any-client');
  expect((await postLogoutToken(a.url, await other.token('any-client', { claims }))).status).toBe(200);
  await until(() => heardJti(claims.jti).length === 1, 10_000, 'message on the all-realms channel');
  expect(heardJti(claims.jti)[0]?.message).toMatchObject({ realmId: 'other', issuer: other.issuer, clientId: 'any-client' });
  const token = { realmId: randomUUID(), sub: claims.sub as string, sid: claims.sid as string, iat: claims.iat as number };
  expect(await client.isRevoked({ ...token, iss: other.issuer })).toBe(true);
  expect(await client.isRevoked(token)).toBe(false);
});
