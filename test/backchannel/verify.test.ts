// The verifier and the issuer key cache on their own, against a real local OpenID provider: what the
// route tests cannot show cheaply (the JWKS cooldown, a discovery document naming another issuer,
// tokens without exp, several audiences), with real keys and real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssuerKeys } from '../../src/backchannel/issuer-keys.js';
import type { IssuerConfig } from '../../src/backchannel/issuers.js';
import { logoutMessageOf } from '../../src/backchannel/to-message.js';
import { LogoutTokenVerifier, MAX_AGE_WITHOUT_EXP_S } from '../../src/backchannel/verify-logout-token.js';
import type { KcrError } from '../../src/errors.js';
import { rejectedKcrError } from '../support/kcr-error.js';
import { newKey, TestIssuer } from '../support/oidc-issuer.js';

async function expectKcrError(promise: Promise<unknown>, code: string): Promise<KcrError> {
  const err = await rejectedKcrError(promise);
  expect(err.code).toBe(code);
  return err;
}

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await new TestIssuer('shop').start();
});
afterAll(() => issuer.stop());

/** Where an issuer's keys are by default: its discovery document. */
const discovered = (iss: string) => ({ issuer: iss, jwksUri: null, jwks: null });

function verifier(config: Partial<IssuerConfig> = {}, keys = new IssuerKeys(discovered(issuer.issuer), { cooldownMs: 30_000 })) {
  const full: IssuerConfig = { ...discovered(issuer.issuer), audiences: ['web'], realmId: null, ...config };
  return new LogoutTokenVerifier({ issuers: [{ config: full, keys }], algorithms: ['RS256', 'ES256'], clockSkewS: 60 });
}

describe('issuer keys', () => {
  it('fetches the JWKS once per cooldown, however many unknown key ids arrive', async () => {
    const v = verifier();
    await v.verify(await issuer.token('web'));
    const fetches = issuer.jwksFetches;
    for (let i = 0; i < 5; i++) {
      await expectKcrError(v.verify(await issuer.token('web', { key: await newKey('RS256') })), 'KCR_ERR_BACKCHANNEL_KEY');
    }
    expect(issuer.jwksFetches).toBe(fetches);
  });

  it('fetches again after the cooldown when a token names a new key', async () => {
    let now = Date.now();
    const keys = new IssuerKeys(discovered(issuer.issuer), { cooldownMs: 30_000, now: () => now });
    const v = verifier({}, keys);
    await v.verify(await issuer.token('web'));
    const rotated = await issuer.rotate();
    await expectKcrError(v.verify(await issuer.token('web', { key: rotated })), 'KCR_ERR_BACKCHANNEL_KEY');
    now += 30_000;
    expect((await v.verify(await issuer.token('web', { key: rotated }))).sub).toEqual(expect.any(String));
  });

  it('refuses keys whose discovery document names another issuer', async () => {
    const keys = new IssuerKeys(discovered(`${issuer.issuer}/`), { cooldownMs: 0 });
    const v = new LogoutTokenVerifier({
      issuers: [{ config: { ...discovered(`${issuer.issuer}/`), audiences: ['web'], realmId: null }, keys }],
      algorithms: ['RS256'],
      clockSkewS: 60,
    });
    const err = await expectKcrError(
      v.verify(await issuer.token('web', { claims: { iss: `${issuer.issuer}/` } })),
      'KCR_ERR_BACKCHANNEL_KEY',
    );
    expect(err.message).toMatch(/discovery names issuer/);
  });
});

describe('keys from where the entry says', () => {
  /** An issuer whose discovery the relay cannot reach: nothing listens on port 9. */
  const unreachable = 'http://127.0.0.1:9/realms/shop';
  const v = (keys: IssuerKeys) =>
    new LogoutTokenVerifier({
      issuers: [{ config: { issuer: unreachable, audiences: ['web'], realmId: null, jwksUri: null, jwks: null }, keys }],
      algorithms: ['RS256', 'ES256'],
      clockSkewS: 60,
    });
  const token = (options: Parameters<TestIssuer['token']>[1] = {}) =>
    issuer.token('web', { ...options, claims: { ...options.claims, iss: unreachable } });

  it('fetches a configured jwksUri without discovery', async () => {
    const keys = new IssuerKeys(
      { issuer: unreachable, jwksUri: `${issuer.issuer}/protocol/openid-connect/certs`, jwks: null },
      { cooldownMs: 0 },
    );
    expect((await v(keys).verify(await token())).issuer.issuer).toBe(unreachable);
  });

  it('verifies with inline keys and never fetches: an unknown key id is refused at once', async () => {
    const keys = new IssuerKeys({ issuer: unreachable, jwksUri: null, jwks: { keys: issuer.keys.map((k) => k.jwk) } }, { cooldownMs: 0 });
    const fetches = issuer.jwksFetches;
    await v(keys).verify(await token({ key: issuer.key('ES256') }));
    const err = await expectKcrError(v(keys).verify(await token({ key: await newKey('RS256') })), 'KCR_ERR_BACKCHANNEL_KEY');
    expect(err.message).not.toMatch(/fetch/);
    expect(issuer.jwksFetches).toBe(fetches);
  });
});

describe('claims', () => {
  const now = () => Math.floor(Date.now() / 1000);

  it(`accepts a token without exp for ${MAX_AGE_WITHOUT_EXP_S} s (older Keycloak), then refuses it`, async () => {
    const v = verifier();
    const fresh = await v.verify(await issuer.token('web', { claims: { exp: undefined, iat: now() - 10 } }));
    expect(fresh.validUntil).toBe(fresh.iat + MAX_AGE_WITHOUT_EXP_S + 60);
    await expectKcrError(
      v.verify(await issuer.token('web', { claims: { exp: undefined, iat: now() - MAX_AGE_WITHOUT_EXP_S - 120 } })),
      'KCR_ERR_BACKCHANNEL_CLAIMS',
    );
  });

  it('accepts the skew either side, and no more', async () => {
    const v = verifier();
    await v.verify(await issuer.token('web', { claims: { iat: now() + 50, exp: now() + 170 } }));
    await v.verify(await issuer.token('web', { claims: { iat: now() - 200, exp: now() - 50 } }));
    await expectKcrError(
      v.verify(await issuer.token('web', { claims: { iat: now() - 200, exp: now() - 70 } })),
      'KCR_ERR_BACKCHANNEL_CLAIMS',
    );
  });

  it('keeps the accepted audiences: one names the client of a user logout, several make it user-wide', async () => {
    const v = verifier({ audiences: ['web', 'mobile'] });
    const one = await v.verify(await issuer.token('web', { claims: { aud: ['web', 'billing'], sid: undefined } }));
    expect(logoutMessageOf(one, 1n, Date.now())).toMatchObject({ kind: 'user', clientId: 'web', realmId: 'shop' });
    const two = await v.verify(await issuer.token('web', { claims: { aud: ['web', 'mobile'], sid: undefined } }));
    expect(logoutMessageOf(two, 2n, Date.now())).toMatchObject({ kind: 'user', clientId: null });
  });

  it("caps the message's notBefore at the second after the token arrived, whatever its iat within the skew", async () => {
    const v = verifier();
    const ahead = await v.verify(await issuer.token('web', { claims: { iat: now() + 50, exp: now() + 170 } }));
    const receivedAt = Date.now();
    expect(logoutMessageOf(ahead, 1n, receivedAt)).toMatchObject({ notBefore: Math.floor(receivedAt / 1000) + 1, time: ahead.iat * 1000 });
    const behind = await v.verify(await issuer.token('web', { claims: { iat: now() - 30 } }));
    expect(logoutMessageOf(behind, 2n, receivedAt).notBefore).toBe(behind.iat + 1);
  });

  it('accepts explicitly typed logout tokens (logout+jwt), not other types', async () => {
    const v = verifier();
    await v.verify(await issuer.token('web', { header: { typ: 'logout+jwt' } }));
    await expectKcrError(v.verify(await issuer.token('web', { header: { typ: 'at+jwt' } })), 'KCR_ERR_BACKCHANNEL_CLAIMS');
  });
});
