// The emitter's Basic credentials: the remembered headers never change an answer. Whatever headers
// arrive, in whatever order, each is answered as a fresh check of its own bytes would answer it.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { BasicAuthenticator, parseBasicAuth } from '../../src/http/auth/basic-auth.js';

const SECRET = 'shared-secret-of-the-cluster';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Headers a sender might send: right and wrong secrets, near misses, malformed ones. */
const header = fc.oneof(
  fc.constantFrom('kc-1', 'kc-2', 'kc-3', '').map((user) => basic(user, SECRET)),
  fc
    .tuple(fc.constantFrom('kc-1', 'kc-2'), fc.constantFrom(SECRET.slice(0, -1), `${SECRET}x`, SECRET.toUpperCase(), ''))
    .map(([u, p]) => basic(u, p)),
  fc.constantFrom('kc-1', 'kc-2').map((user) => basic(user, SECRET).replace('Basic', 'basic')),
  fc.constantFrom('kc-1').map((user) => `${basic(user, SECRET)} `),
  fc.string({ maxLength: 40 }),
  fc.constant(undefined),
);

it('answers every header as a fresh check would, however often it was seen before', () => {
  fc.assert(
    fc.property(
      fc.array(header, { maxLength: 60 }),
      fc.option(fc.constantFrom(['kc-1'], ['kc-1', 'kc-3']), { nil: undefined }),
      (headers, usernames) => {
        const authenticator = new BasicAuthenticator(SECRET, usernames);
        const fresh = () => new BasicAuthenticator(SECRET, usernames);
        for (const h of headers) {
          const expected = fresh().authenticate(parseBasicAuth(h));
          const checked = authenticator.check(h);
          expect(checked.node).toBe(expected);
          if (checked.node === null) expect('credentials' in checked && checked.credentials).toEqual(parseBasicAuth(h));
        }
      },
    ),
    { numRuns: 300 },
  );
});

it('keeps answering correctly past its bound of remembered headers', () => {
  const authenticator = new BasicAuthenticator(SECRET, undefined);
  for (let i = 0; i < 600; i++) expect(authenticator.check(basic(`kc-${i}`, SECRET))).toEqual({ node: `kc-${i}` });
  expect(authenticator.check(basic('kc-0', SECRET))).toEqual({ node: 'kc-0' });
  expect(authenticator.check(basic('kc-0', `${SECRET}!`)).node).toBeNull();
});
