// Bearer-token routes (operators: ADMIN_TOKEN; application nodes: LOGOUT_STREAM_TOKEN; scrapers:
// METRICS_TOKEN): one check, constant-time, answering 401 with the realm's challenge. The token is
// checked before the throttle, as for the emitter's Basic credentials: the right token is always
// admitted, wrong ones beyond the address's budget get 429.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KCR_ERR_AUTH_THROTTLED, type KcrError } from '../../errors.js';
import { sendError } from '../error-reply.js';
import type { AuthThrottle } from './auth-throttle.js';
import { secretsEqual } from './basic-auth.js';

export function requireBearer(token: string, realm: string, refusal: () => KcrError, throttle: AuthThrottle) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (secretsEqual(given, token)) return undefined;
    const now = Date.now();
    const retryAfter = throttle.retryAfterSeconds(request.ip, '', now);
    if (retryAfter > 0) return sendError(reply, KCR_ERR_AUTH_THROTTLED(retryAfter), { 'retry-after': String(retryAfter) });
    throttle.recordFailure(request.ip, '', now);
    return sendError(reply, refusal(), { 'www-authenticate': `Bearer realm="${realm}"` });
  };
}
