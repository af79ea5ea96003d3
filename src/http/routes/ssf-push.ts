// POST /ssf/push: the relay as the receiver of an SSF stream with push delivery (RFC 8935), such as
// Keycloak's own transmitter. The stream's Authorization value (SSF_PUSH_AUTHORIZATION) -> the
// Security Event Token verified -> decoded -> stored as an event of kind `security-event` (a
// session-revoked SET then becomes a logout message through the store, as every event does), and
// 202 only once stored. A repeated `jti` is a known duplicate: answered 202, nothing published
// again (the transmitter resends a SET whose 202 it did not get). Refusals are RFC 8935's 400
// `{"err","description"}` (plus our `code`), with a fixed description per code; other failures
// (413, 429, 503) are general HTTP errors with the relay's usual body.
import { createHash } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { z } from 'zod';
import type { SecurityEventTokenVerifier } from '../../backchannel/security-event-token.js';
import { decodeSecurityEvent } from '../../decode/security-event.js';
import {
  KCR_ERR_BUFFER_FULL,
  KCR_ERR_SSF_AUDIENCE,
  KCR_ERR_SSF_AUTH,
  KCR_ERR_SSF_ISSUER,
  KCR_ERR_SSF_KEY,
  KCR_ERR_SSF_REQUEST,
  type KcrError,
} from '../../errors.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { EventStore } from '../../store/event-store.js';
import { validateEvent } from '../../validate/index.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { failedAuth } from '../auth/failed-auth.js';
import { matchesDigest, secretDigest } from '../auth/secrets.js';
import { toKcrError } from '../error-reply.js';
import { RefusalLog } from '../refusal-log.js';
import { errors } from '../schemas.js';
import { countSenderOutcomes, storeEvent, type SenderRouteSettings } from '../store-event.js';

export const SSF_PUSH_PATH = '/ssf/push';
/** source.node of its events: the sender (the SET's issuer is in source.ssf). */
export const SSF_SENDER = 'ssf';

const SET_MEDIA_TYPE = /^application\/secevent\+jwt\s*(;|$)/i;

/** RFC 8935 2.3's `err` and a description that says no more than the code, per refusal code. */
const REFUSALS: Readonly<Record<string, { err: string; description: string }>> = {
  [KCR_ERR_SSF_AUTH.code]: { err: 'authentication_failed', description: "The Authorization header is not the stream's" },
  [KCR_ERR_SSF_REQUEST.code]: {
    err: 'invalid_request',
    description: 'Not a valid SET: application/secevent+jwt, typ secevent+jwt, jti, iat within SSF_MAX_SET_AGE and one event are expected',
  },
  [KCR_ERR_SSF_KEY.code]: { err: 'invalid_key', description: 'The SET is not signed by a key of its issuer with an accepted algorithm' },
  [KCR_ERR_SSF_ISSUER.code]: { err: 'invalid_issuer', description: 'The SET issuer is not one this receiver accepts' },
  [KCR_ERR_SSF_AUDIENCE.code]: { err: 'invalid_audience', description: 'The SET audience is not this receiver' },
};
/** Any other 400 (one the HTTP layer raised). */
const OTHER_REFUSAL = { err: 'invalid_request', description: 'Not a SET push request' };

const refusalBody = z
  .object({
    err: z.enum(['invalid_request', 'invalid_key', 'invalid_issuer', 'invalid_audience', 'authentication_failed']),
    description: z.string(),
    code: z.string().describe('KCR_ERR_SSF_* (README, "Error codes")'),
  })
  .describe('RFC 8935 2.3: KCR_ERR_SSF_AUTH, _REQUEST, _KEY, _ISSUER, _AUDIENCE; nothing stored');

const SCHEMA: FastifySchema = {
  summary: 'Receive a Security Event Token pushed by an SSF transmitter (RFC 8935); 202 once stored (or a known duplicate)',
  description:
    "Authorization: the stream's authorization header, SSF_PUSH_AUTHORIZATION, when set. The SET must be signed by an issuer " +
    'of TOKEN_ISSUERS for one of its audiences (README, "Pointing Keycloak at it").',
  tags: ['ingest'],
  rawBody: { 'application/secevent+jwt': z.string().describe('The compact JWS of the Security Event Token') },
  response: {
    202: z.undefined().describe('Stored (or its jti was seen before): the transmitter is done with it'),
    400: refusalBody,
    ...errors({
      413: 'KCR_ERR_BODY_TOO_LARGE: over BODY_LIMIT',
      429: 'KCR_ERR_AUTH_THROTTLED: a wrong Authorization after too many failures (Retry-After)',
      503: 'Not confirmed, the transmitter retries (Retry-After): KCR_ERR_STORE_UNAVAILABLE, KCR_ERR_BUFFER_FULL, KCR_ERR_OVERLOADED, KCR_ERR_NOT_REPLICATED',
    }),
  },
};

export interface SsfPushDeps {
  config: SenderRouteSettings & { SSF_PUSH_AUTHORIZATION?: string | undefined };
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now: () => number;
  verifier: SecurityEventTokenVerifier;
  throttle: AuthThrottle;
}

/** A SET is received once per issuer and jti, across replicas: the store's dedup key. */
export function ssfDedupKey(issuer: string, jti: string): string {
  return `ssf:${createHash('sha256').update(`${issuer}\n${jti}`).digest('base64url')}`;
}

export function ssfPushRoutes(app: FastifyInstance, deps: SsfPushDeps): void {
  const { config, now, throttle } = deps;
  const refusals = new RefusalLog('SSF push refused');
  const expected = config.SSF_PUSH_AUTHORIZATION ? secretDigest(config.SSF_PUSH_AUTHORIZATION) : null;

  const errorHandler = (thrown: FastifyError | KcrError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const err = toKcrError(thrown, config.BODY_LIMIT);
    if (err.statusCode >= 500 && err.statusCode !== 503) request.log.error({ err: thrown }, 'SSF push failed');
    if (err.statusCode !== 400) return reply.code(err.statusCode).headers(err.headers).send({ error: err.toJSON() });
    refusals.note(request.log, { code: err.code, reason: err.message, address: request.ip });
    const { err: rfcErr, description } = REFUSALS[err.code] ?? OTHER_REFUSAL;
    return reply.code(400).send({ err: rfcErr, description, code: err.code });
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (!SET_MEDIA_TYPE.test(request.headers['content-type'] ?? '')) {
      throw KCR_ERR_SSF_REQUEST(`Content-Type ${JSON.stringify(request.headers['content-type'] ?? null).slice(0, 80)}`);
    }
    const token = Buffer.isBuffer(request.body) ? request.body.toString('utf8').trim() : '';
    const set = await deps.verifier.verify(token);
    const nowMs = now();
    const event = validateEvent(decodeSecurityEvent(set), {
      node: SSF_SENDER,
      nowMs,
      maxFutureSkewMs: config.MAX_CLOCK_SKEW,
      assignUid: deps.assignUid,
    });
    // The transmitter resends the same encoded SET: its iat is the same, and so the key's window.
    const dedup = { key: ssfDedupKey(set.issuer, event.source.ssf!.jti), timeMs: (set.payload.iat as number) * 1000 };
    const status = await storeEvent(deps, event, nowMs, { dedup }, request.log);
    request.ingestOutcome = status;
    if (status === 'full') throw KCR_ERR_BUFFER_FULL(config.BUFFER_CAPACITY, config.BUFFER_MAX_BYTES);
    return reply.code(202).send();
  };

  app.register(async (scope) => {
    countSenderOutcomes(scope, deps.metrics, SSF_SENDER);
    scope.setErrorHandler(errorHandler);
    // The stream's Authorization is checked before the body is read; a correct one is always admitted.
    if (expected) {
      scope.addHook('onRequest', async (request) => {
        if (matchesDigest(request.headers.authorization ?? '', expected)) return;
        const why = request.headers.authorization === undefined ? 'none given' : 'another value';
        throw failedAuth(throttle, request, SSF_SENDER, now(), () => KCR_ERR_SSF_AUTH(why));
      });
    }
    scope.post(SSF_PUSH_PATH, { bodyLimit: config.BODY_LIMIT, schema: SCHEMA }, handler);
  });
}
