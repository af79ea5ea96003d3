// A sender's failed authentication, answered as every intake answers one: the credential was
// checked first (a correct one is always admitted), then the failure budget of its addresses
// (failureAddresses) decides between the caller's refusal (401, the failure counted) and 429 once
// it is spent.
import type { FastifyRequest } from 'fastify';
import { KCR_ERR_AUTH_THROTTLED, type KcrError } from '../../errors.js';
import { failureAddresses, type AuthThrottle } from './auth-throttle.js';

export function failedAuth(
  throttle: AuthThrottle,
  request: FastifyRequest,
  sender: string,
  nowMs: number,
  refusal: () => KcrError,
): KcrError {
  const retryAfter = throttle.fail(failureAddresses(request), sender, nowMs);
  if (retryAfter > 0) {
    request.ingestOutcome = 'throttled';
    return KCR_ERR_AUTH_THROTTLED(retryAfter);
  }
  request.ingestOutcome = 'unauthorized';
  return refusal();
}
