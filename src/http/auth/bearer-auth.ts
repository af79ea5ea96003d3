// Bearer-token routes (operators: ADMIN_TOKEN; application nodes: LOGOUT_STREAM_TOKEN; scrapers:
// METRICS_TOKEN): one check, constant-time, refusing with the code's 401 and its realm's challenge.
// The token is checked before the throttle, as for the emitter's Basic credentials: the right token
// is always admitted, wrong ones beyond the address's budget get 429. The scheme name is
// case-insensitive (RFC 7235, 2.1): `bearer x` is the same credential as `Bearer x`.
import type { FastifyRequest } from 'fastify';
import { KCR_ERR_AUTH_THROTTLED, type KcrError } from '../../errors.js';
import { failureAddresses, type AuthThrottle } from './auth-throttle.js';
import { matchesDigest, secretDigest } from './secrets.js';

/** The token after the scheme name and its spaces (the token itself may hold anything). */
const BEARER = /^bearer +(.*)$/is;

export function requireBearer(token: string, refusal: () => KcrError, throttle: AuthThrottle) {
  const expected = secretDigest(token);
  return async (request: FastifyRequest): Promise<void> => {
    const given = BEARER.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (matchesDigest(given, expected)) return;
    const retryAfter = throttle.fail(failureAddresses(request), '', Date.now());
    if (retryAfter > 0) throw KCR_ERR_AUTH_THROTTLED(retryAfter);
    throw refusal();
  };
}
