// The back-channel settings: off by default, defaults, and every mistake named by its variable at start-up.
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';

const base = { AUTH_SECRET: 'a-secret-of-16-chars' };
const issuers = (value: unknown) => ({ ...base, BACKCHANNEL_ISSUERS: JSON.stringify(value) });

it('is off unless BACKCHANNEL_ISSUERS is set; defaults to asymmetric algorithms, 60 s of skew, a 30 s JWKS cooldown', () => {
  const config = loadConfig(base);
  expect(config.BACKCHANNEL_ISSUERS).toBeUndefined();
  expect(config.BACKCHANNEL_ALGORITHMS).toEqual(['RS256', 'ES256', 'PS256', 'EdDSA']);
  expect(config.BACKCHANNEL_CLOCK_SKEW).toBe(60_000);
  expect(config.BACKCHANNEL_JWKS_COOLDOWN).toBe(30_000);
});

it('reads issuers, with audiences and realmId optional', () => {
  const config = loadConfig(
    issuers([
      { issuer: 'https://kc.example/realms/shop', audiences: ['web'], realmId: 'f3a1' },
      { issuer: 'https://kc.example/realms/hr' },
    ]),
  );
  expect(config.BACKCHANNEL_ISSUERS).toEqual([
    { issuer: 'https://kc.example/realms/shop', audiences: ['web'], realmId: 'f3a1' },
    { issuer: 'https://kc.example/realms/hr', audiences: null, realmId: null },
  ]);
  expect(loadConfig({ ...base, BACKCHANNEL_ALGORITHMS: 'ES256, RS256' }).BACKCHANNEL_ALGORITHMS).toEqual(['ES256', 'RS256']);
});

it.each([
  ['not JSON', { ...base, BACKCHANNEL_ISSUERS: '[{' }, /BACKCHANNEL_ISSUERS must be a JSON array/],
  ['an empty list', issuers([]), /BACKCHANNEL_ISSUERS.*at least one issuer/],
  ['a relative issuer', issuers([{ issuer: 'realms/shop' }]), /BACKCHANNEL_ISSUERS\.0\.issuer/],
  ['an issuer with a query', issuers([{ issuer: 'https://kc.example/realms/shop?x=1' }]), /BACKCHANNEL_ISSUERS\.0\.issuer/],
  ['an issuer twice', issuers([{ issuer: 'https://kc/realms/a' }, { issuer: 'https://kc/realms/a' }]), /each issuer may appear once/],
  ['empty audiences', issuers([{ issuer: 'https://kc/realms/a', audiences: [] }]), /audiences, when given/],
  ['an unknown field', issuers([{ issuer: 'https://kc/realms/a', audience: ['web'] }]), /BACKCHANNEL_ISSUERS\.0/],
  ['HS256', { ...base, BACKCHANNEL_ALGORITHMS: 'RS256,HS256' }, /BACKCHANNEL_ALGORITHMS.*never none or HS/],
  ['none', { ...base, BACKCHANNEL_ALGORITHMS: 'none' }, /BACKCHANNEL_ALGORITHMS/],
  ['a skew that is not a duration', { ...base, BACKCHANNEL_CLOCK_SKEW: '1 minute' }, /BACKCHANNEL_CLOCK_SKEW/],
])('refuses %s, naming the variable', (_name, env, message) => {
  expect(() => loadConfig(env)).toThrow(message);
});
