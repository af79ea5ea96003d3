// POST /webhooks/phasetwo: Phase Two's keycloak-events webhooks (ext-event-webhook). Authenticate
// (X-Keycloak-Signature under PHASETWO_SECRETS, or a bearer token of TOKEN_ISSUERS bound to the
// body) -> decode -> validate -> store, answering 200 only once the event is durably stored or is a
// known duplicate: p2 retries any other status for 15 minutes (never a connection error), so a
// durable 200 is what makes its delivery safe. Deduplicated by Keycloak's event id (the same on
// every webhook and resend), else p2's delivery uid; the stored event gets a uid from the relay.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { z } from 'zod';
import type { WebhookTokenVerifier } from '../../backchannel/webhook-token.js';
import { TokenRefusal } from '../../backchannel/signed-token.js';
import { decodePhaseTwo, phaseTwoDedupKey } from '../../decode/phasetwo.js';
import type { CanonicalEvent } from '../../event/canonical.js';
import {
  KCR_ERR_BUFFER_FULL,
  KCR_ERR_DECODE_FAILED,
  KCR_ERR_PHASETWO_SIGNATURE,
  KCR_ERR_PHASETWO_TOKEN,
  KCR_ERR_PHASETWO_UNSIGNED,
  KcrError,
} from '../../errors.js';
import type { LineBudget } from '../../log.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { EventStore } from '../../store/event-store.js';
import { validateEvent } from '../../validate/index.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { failedAuth } from '../auth/failed-auth.js';
import type { PhaseTwoSignature } from '../auth/phasetwo-signature.js';
import { RefusalLog } from '../refusal-log.js';
import { errorBody, errors, uidText } from '../schemas.js';
import { countSenderOutcomes, quarantineBody, storeEvent, type InvalidPayloadSetting, type SenderRouteSettings } from '../store-event.js';

export const PHASETWO_PATH = '/webhooks/phasetwo';
/** source.node of its events and quarantined bodies: the sender, since p2 names no Keycloak node. */
export const PHASETWO_SENDER = 'phasetwo';

const SIGNATURE_HEADER = 'x-keycloak-signature';
const BEARER = /^bearer\s+(\S+)\s*$/i;

const SCHEMA: FastifySchema = {
  summary: 'Receive one Phase Two keycloak-events webhook; 200 only once it is stored durably (or is a known duplicate)',
  description:
    'The body is read as bytes: X-Keycloak-Signature is the lowercase hex HMAC-SHA256 (or SHA-1, with PHASETWO_ALGORITHMS) of ' +
    'them under one of PHASETWO_SECRETS; or Authorization: Bearer carries a JWT of an issuer of TOKEN_ISSUERS whose ' +
    'request_body_sha256 is their SHA-256 (README, "Pointing Keycloak at it"). Anything but a 200 is resent by p2.',
  tags: ['ingest'],
  security: [{ phasetwoSignature: [] }, { phasetwoBearer: [] }],
  rawBody: {
    'application/json': z
      .looseObject({ id: z.string().optional(), uid: z.string().optional(), time: z.number().int(), type: z.string() })
      .describe("Phase Two's ExtendedEvent or ExtendedAdminEvent"),
  },
  response: {
    200: z
      .discriminatedUnion('status', [
        z.object({ status: z.literal('accepted'), uid: uidText }).describe('Stored durably, under this uid'),
        z.object({ status: z.literal('duplicate') }).describe('Already stored (a resend, or the same event through another webhook)'),
        z
          .object({ status: z.literal('quarantined'), error: errorBody.shape.error })
          .describe('Undecodable, kept whole (INVALID_PAYLOAD=quarantine)'),
      ])
      .describe('Stored, a duplicate, or quarantined: p2 is done with it'),
    ...errors({
      400: 'A decoding code (KCR_ERR_PHASETWO_BODY, KCR_ERR_FIELD_TYPE, KCR_ERR_CHARSET) under INVALID_PAYLOAD=reject',
      401: 'KCR_ERR_PHASETWO_UNSIGNED, KCR_ERR_PHASETWO_SIGNATURE, KCR_ERR_PHASETWO_TOKEN: nothing stored',
      408: 'KCR_ERR_REQUEST_TIMEOUT: headers and body not received within BODY_TIMEOUT',
      413: 'KCR_ERR_BODY_TOO_LARGE: over BODY_LIMIT',
      429: 'KCR_ERR_AUTH_THROTTLED: a failing signature after too many failures (Retry-After)',
      503: 'Not confirmed, resend (Retry-After): KCR_ERR_STORE_UNAVAILABLE, KCR_ERR_BUFFER_FULL, KCR_ERR_OVERLOADED, KCR_ERR_NOT_REPLICATED',
    }),
  },
};

export interface PhaseTwoDeps {
  config: SenderRouteSettings & InvalidPayloadSetting;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now: () => number;
  quarantineDrops: LineBudget;
  /** Set with PHASETWO_SECRETS. */
  signature: PhaseTwoSignature | null;
  /** Set with TOKEN_ISSUERS. */
  tokens: WebhookTokenVerifier | null;
  throttle: AuthThrottle;
}

export function phaseTwoRoutes(app: FastifyInstance, deps: PhaseTwoDeps): void {
  const { config, now, throttle } = deps;
  const refusals = new RefusalLog('Phase Two webhook refused');

  /** Counts the failure, answers 429 beyond the address's budget, logs within the line budget. */
  const refuse = (request: FastifyRequest, refusal: () => KcrError, why: string): KcrError => {
    const err = failedAuth(throttle, request, PHASETWO_SENDER, now(), refusal);
    refusals.note(request.log, { code: err.code, reason: why, address: request.ip });
    return err;
  };

  /** The signature is checked first: a correct one is always admitted, whatever others failed. */
  const authenticate = async (request: FastifyRequest, body: Buffer): Promise<void> => {
    const signature = request.headers[SIGNATURE_HEADER];
    if (typeof signature === 'string') {
      if (!deps.signature) throw refuse(request, KCR_ERR_PHASETWO_SIGNATURE, 'PHASETWO_SECRETS is not set');
      const verdict = deps.signature.verify(signature, body);
      if (!verdict.ok) throw refuse(request, KCR_ERR_PHASETWO_SIGNATURE, verdict.why);
      return;
    }
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (token === undefined) throw refuse(request, KCR_ERR_PHASETWO_UNSIGNED, 'no X-Keycloak-Signature, no bearer token');
    if (!deps.tokens) throw refuse(request, KCR_ERR_PHASETWO_TOKEN, 'TOKEN_ISSUERS is not set');
    try {
      await deps.tokens.verify(token, body);
    } catch (err) {
      if (!(err instanceof TokenRefusal)) throw err;
      throw refuse(request, KCR_ERR_PHASETWO_TOKEN, `${err.kind}: ${err.message}`);
    }
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    await authenticate(request, body);
    const nowMs = now();
    let event: CanonicalEvent;
    try {
      const decoded = decodePhaseTwo(body, request.headers['content-type']);
      event = validateEvent(decoded, { node: PHASETWO_SENDER, nowMs, maxFutureSkewMs: config.MAX_CLOCK_SKEW, assignUid: deps.assignUid });
    } catch (thrown) {
      const err = thrown instanceof KcrError ? thrown : KCR_ERR_DECODE_FAILED();
      if (!(thrown instanceof KcrError)) request.log.error({ err: thrown }, 'Phase Two decoder threw an uncoded error');
      if (err.quarantinable && config.INVALID_PAYLOAD === 'quarantine') {
        const record = {
          node: PHASETWO_SENDER,
          receivedAt: new Date(nowMs).toISOString(),
          remoteAddress: request.ip,
          errorCode: err.code,
          errorMessage: err.message,
          body,
        };
        await quarantineBody(deps, record, request.log);
        request.ingestOutcome = 'quarantined';
        return reply.code(200).send({ status: 'quarantined', error: err.toJSON() });
      }
      request.ingestOutcome = 'rejected';
      throw err;
    }
    const origin = event.source.phasetwo!;
    const dedup = phaseTwoDedupKey(origin, event.time ?? nowMs, nowMs + config.MAX_CLOCK_SKEW);
    const status = await storeEvent(deps, event, nowMs, { dedup }, request.log);
    request.ingestOutcome = status;
    if (status === 'full') throw KCR_ERR_BUFFER_FULL(config.BUFFER_CAPACITY, config.BUFFER_MAX_BYTES);
    return reply.code(200).send(status === 'accepted' ? { status, uid: event.uid } : { status });
  };

  app.register(async (scope) => {
    countSenderOutcomes(scope, deps.metrics, PHASETWO_SENDER);
    // No credential at all: refused before the body is read.
    scope.addHook('onRequest', async (request) => {
      if (request.headers[SIGNATURE_HEADER] === undefined && !BEARER.test(request.headers.authorization ?? '')) {
        throw refuse(request, KCR_ERR_PHASETWO_UNSIGNED, 'no X-Keycloak-Signature, no bearer token');
      }
    });
    scope.post(PHASETWO_PATH, { bodyLimit: config.BODY_LIMIT, schema: SCHEMA }, handler);
  });
}
