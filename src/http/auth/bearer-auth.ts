// Bearer-token routes (operators: ADMIN_TOKEN; application nodes: LOGOUT_STREAM_TOKEN; scrapers:
// METRICS_TOKEN): one check, constant-time, refusing with the code's 401 and its realm's challenge.
// The token is checked before the throttle, as for the emitter's Basic credentials: the right token
// is always admitted, wrong ones beyond the address's budget get 429.
import type { FastifyRequest } from 'fastify';
import { KCR_ERR_AUTH_THROTTLED, type KcrError } from '../../errors.js';
import type { AuthThrottle } from './auth-throttle.js';
import { matchesDigest, secretDigest } from './secrets.js';

export function requireBearer(token: string, refusal: () => KcrError, throttle: AuthThrottle) {
  const expected = secretDigest(token);
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (matchesDigest(given, expected)) return;
    const now = Date.now();
    const retryAfter = throttle.retryAfterSeconds(request.ip, '', now);
    if (retryAfter > 0) throw KCR_ERR_AUTH_THROTTLED(retryAfter);
    throttle.recordFailure(request.ip, '', now);
    throw refusal();
  };
}
