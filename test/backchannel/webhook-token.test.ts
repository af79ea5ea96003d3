// Phase Two's bearer tokens on their own, with a realm key made here (inline jwks) and a clock the
// test sets: bound to the body by request_body_sha256, for one of the issuer's audiences, within
// exp and iat with the skew.
import { createHash, randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { TokenRefusal } from '../../src/backchannel/signed-token.js';
import { WebhookTokenVerifier } from '../../src/backchannel/webhook-token.js';
import { IssuerKeys } from '../../src/backchannel/issuer-keys.js';
import { newKey, type SigningKey } from '../support/oidc-issuer.js';
import { SignJWT } from 'jose';

const ISSUER = 'https://kc.example.test/realms/acme';
const AUDIENCE = 'https://relay.example.test/webhooks';
const NOW_S = 1_796_572_618;
const body = Buffer.from('{"id":"e-1","time":1796572618484,"uid":"d-1","type":"access.LOGOUT"}');
let key: SigningKey;
let verifier: WebhookTokenVerifier;

beforeAll(async () => {
  key = await newKey('RS256');
  const source = { issuer: ISSUER, jwksUri: null, jwks: { keys: [key.jwk] } };
  verifier = new WebhookTokenVerifier({
    issuers: [{ config: { ...source, audiences: [AUDIENCE], realmId: null }, keys: new IssuerKeys(source, { cooldownMs: 0 }) }],
    algorithms: ['RS256'],
    clockSkewS: 60,
    now: () => NOW_S * 1000,
  });
});

/** As p2's WebhookJwtSigner: exp, iat, jti, iss, aud, request_body_sha256 of the body. */
function token(claims: Record<string, unknown> = {}, bytes = body): Promise<string> {
  const payload: Record<string, unknown> = {
    exp: NOW_S + 300,
    iat: NOW_S,
    jti: randomUUID(),
    iss: ISSUER,
    aud: AUDIENCE,
    request_body_sha256: createHash('sha256').update(bytes).digest('hex'),
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
}

async function refusal(promise: Promise<unknown>): Promise<TokenRefusal> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenRefusal);
  return err as TokenRefusal;
}

it('accepts a token for this body, within its time, for the audience', async () => {
  expect(await verifier.verify(await token(), body)).toMatchObject({ issuer: ISSUER, jti: expect.any(String) });
  expect((await verifier.verify(await token({ exp: NOW_S - 50 }), body)).issuer).toBe(ISSUER);
});

it.each([
  ['another body', () => token({}, Buffer.from('{}')), 'claims'],
  ['an expired token', () => token({ iat: NOW_S - 400, exp: NOW_S - 100 }), 'claims'],
  ['an iat in the future', () => token({ iat: NOW_S + 120, exp: NOW_S + 420 }), 'claims'],
  ['another audience', () => token({ aud: 'https://elsewhere.example/webhooks' }), 'audience'],
  ['no body digest', () => token({ request_body_sha256: undefined }), 'claims'],
  ['another issuer', () => token({ iss: 'https://kc.example.test/realms/other' }), 'issuer'],
] as const)('refuses %s', async (_name, make, kind) => {
  expect((await refusal(verifier.verify(await make(), body))).kind).toBe(kind);
});
