// The token issuers (TOKEN_ISSUERS, formerly BACKCHANNEL_ISSUERS) and the back-channel settings: off
// by default, defaults, and every mistake named by its variable at start-up.
import { expect, it } from 'vitest';
import { configuredIssuers } from '../../../src/backchannel/issuers.js';
import { loadConfig } from '../../../src/config/env.js';

const base = { AUTH_SECRET: 'a-secret-of-16-chars' };
const issuers = (value: unknown) => ({ ...base, BACKCHANNEL_ISSUERS: JSON.stringify(value) });

it('is off unless BACKCHANNEL_ISSUERS is set; defaults to asymmetric algorithms, 60 s of skew, a 30 s JWKS cooldown', () => {
  const config = loadConfig(base);
  expect(config.BACKCHANNEL_ISSUERS).toBeUndefined();
  expect(config.BACKCHANNEL_ALGORITHMS).toEqual(['RS256', 'ES256', 'PS256', 'EdDSA']);
  expect(config.BACKCHANNEL_CLOCK_SKEW).toBe(60_000);
  expect(config.BACKCHANNEL_JWKS_COOLDOWN).toBe(30_000);
});

it('reads issuers, with realmId and where their keys are optional', () => {
  const jwks = { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] };
  const config = loadConfig(
    issuers([
      { issuer: 'https://kc.example/realms/shop', audiences: ['web'], realmId: 'f3a1' },
      { issuer: 'https://kc.example/realms/hr', audiences: ['hr-app'], jwksUri: 'https://keys.example/hr.json' },
      { issuer: 'https://kc.example/realms/ops', audiences: ['ops'], jwks },
    ]),
  );
  const keysFromDiscovery = { jwksUri: null, jwks: null };
  expect(config.BACKCHANNEL_ISSUERS).toEqual([
    { issuer: 'https://kc.example/realms/shop', audiences: ['web'], realmId: 'f3a1', ...keysFromDiscovery },
    { issuer: 'https://kc.example/realms/hr', audiences: ['hr-app'], realmId: null, jwksUri: 'https://keys.example/hr.json', jwks: null },
    { issuer: 'https://kc.example/realms/ops', audiences: ['ops'], realmId: null, jwksUri: null, jwks },
  ]);
  expect(loadConfig({ ...base, BACKCHANNEL_ALGORITHMS: 'ES256, RS256' }).BACKCHANNEL_ALGORITHMS).toEqual(['ES256', 'RS256']);
});

it('reads the same list as TOKEN_ISSUERS, its new name, and refuses both names at once', () => {
  const list = [{ issuer: 'https://kc.example/realms/shop', audiences: ['web'] }];
  const config = loadConfig({ ...base, TOKEN_ISSUERS: JSON.stringify(list) });
  expect(configuredIssuers(config)).toEqual([{ ...list[0], realmId: null, jwksUri: null, jwks: null }]);
  expect(configuredIssuers(loadConfig(issuers(list)))).toEqual(configuredIssuers(config));
  expect(configuredIssuers(loadConfig(base))).toBeNull();
  expect(() => loadConfig({ ...issuers(list), TOKEN_ISSUERS: JSON.stringify(list) })).toThrow(
    /TOKEN_ISSUERS: set TOKEN_ISSUERS or its former name/,
  );
  expect(() =>
    loadConfig({ ...base, TOKEN_ISSUERS: JSON.stringify([{ issuer: 'http://kc.example/realms/a', audiences: ['web'] }]) }),
  ).toThrow(/TOKEN_ISSUERS\.0\.issuer: issuer over plain http/);
});

it('accepts plain http only to a loopback host, or with "insecure": true', () => {
  for (const host of ['127.0.0.1:8081', 'localhost:8081', '[::1]:8081']) {
    expect(() => loadConfig(issuers([{ issuer: `http://${host}/realms/a`, audiences: ['web'] }])), host).not.toThrow();
  }
  const insecure = [{ issuer: 'http://keycloak:8080/realms/a', audiences: ['web'], insecure: true, jwksUri: 'http://keycloak:8080/certs' }];
  expect(configuredIssuers(loadConfig(issuers(insecure)))?.[0]).toMatchObject({ issuer: 'http://keycloak:8080/realms/a' });
});

it.each([
  [
    'an issuer over plain http',
    issuers([{ issuer: 'http://keycloak:8080/realms/a', audiences: ['web'] }]),
    /BACKCHANNEL_ISSUERS\.0\.issuer: issuer over plain http: is refused unless/,
  ],
  [
    'a jwksUri over plain http',
    issuers([{ issuer: 'https://kc/realms/a', audiences: ['web'], jwksUri: 'http://keys.example/jwks' }]),
    /BACKCHANNEL_ISSUERS\.0\.jwksUri: jwksUri over plain http/,
  ],
  ['no audiences', issuers([{ issuer: 'https://kc/realms/a' }]), /BACKCHANNEL_ISSUERS\.0\.audiences is required/],
  [
    'jwksUri and jwks together',
    issuers([{ issuer: 'https://kc/realms/a', audiences: ['web'], jwksUri: 'https://k/j', jwks: { keys: [{ kty: 'RSA' }] } }]),
    /give jwksUri or jwks, not both/,
  ],
  [
    'a jwks without keys',
    issuers([{ issuer: 'https://kc/realms/a', audiences: ['web'], jwks: { keys: [] } }]),
    /jwks must hold at least one key/,
  ],
  ['not JSON', { ...base, BACKCHANNEL_ISSUERS: '[{' }, /BACKCHANNEL_ISSUERS must be a JSON array/],
  ['an empty list', issuers([]), /BACKCHANNEL_ISSUERS.*at least one issuer/],
  ['a relative issuer', issuers([{ issuer: 'realms/shop', audiences: ['web'] }]), /BACKCHANNEL_ISSUERS\.0\.issuer/],
  [
    'an issuer with a query',
    issuers([{ issuer: 'https://kc.example/realms/shop?x=1', audiences: ['web'] }]),
    /BACKCHANNEL_ISSUERS\.0\.issuer/,
  ],
  [
    'an issuer twice',
    issuers([
      { issuer: 'https://kc/realms/a', audiences: ['web'] },
      { issuer: 'https://kc/realms/a', audiences: ['web'] },
    ]),
    /each issuer may appear once/,
  ],
  ['empty audiences', issuers([{ issuer: 'https://kc/realms/a', audiences: [] }]), /audiences must name at least one/],
  ['an unknown field', issuers([{ issuer: 'https://kc/realms/a', audience: ['web'] }]), /BACKCHANNEL_ISSUERS\.0/],
  ['HS256', { ...base, BACKCHANNEL_ALGORITHMS: 'RS256,HS256' }, /BACKCHANNEL_ALGORITHMS.*never none or HS/],
  ['none', { ...base, BACKCHANNEL_ALGORITHMS: 'none' }, /BACKCHANNEL_ALGORITHMS/],
  ['a skew that is not a duration', { ...base, BACKCHANNEL_CLOCK_SKEW: '1 minute' }, /BACKCHANNEL_CLOCK_SKEW/],
])('refuses %s, naming the variable', (_name, env, message) => {
  expect(() => loadConfig(env)).toThrow(message);
});
