// POST /events and /event/receiver: authenticate -> decode -> validate -> store, answering 200 only
// once the event is durably stored (or is a known duplicate), since the emitter resends anything else.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/env.js';
import { decodeBody } from '../../decode/index.js';
import { UNKNOWN } from '../../decode/flatbuffer/profiles.js';
import type { SenderSettings } from '../../decode/sender-settings.js';
import type { CanonicalEvent } from '../../event/canonical.js';
import {
  KCR_ERR_AUTH_INVALID,
  KCR_ERR_AUTH_MISSING,
  KCR_ERR_AUTH_THROTTLED,
  KCR_ERR_BODY_NOT_JSON,
  KCR_ERR_BUFFER_FULL,
  KCR_ERR_DECODE_FAILED,
  KcrError,
} from '../../errors.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { EventStore } from '../../store/event-store.js';
import { validateEvent } from '../../validate/index.js';
import { AuthThrottle } from '../auth/auth-throttle.js';
import { BasicAuthenticator, parseBasicAuth } from '../auth/basic-auth.js';
import { sendError } from '../error-reply.js';

export const INGEST_PATHS = ['/events', '/event/receiver'] as const;
const RETRY_AFTER = { 'retry-after': '2' };

export interface IngestDeps {
  config: Config;
  senders: SenderSettings;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now: () => number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated Keycloak node (Basic-auth username). */
    node: string;
    /** What the ingest answered, for the metrics; set where the answer is decided. */
    ingestOutcome: string;
  }
}

/** Outcomes decided outside the handler (fastify's body limit, store errors) follow from the status. */
function outcomeOfStatus(status: number): string {
  if (status === 413) return 'too_large';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'rejected';
  return 'error';
}

export function ingestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const { config, store, metrics, now, senders } = deps;
  // Nodes already warned that their FlatBuffer bytes are named by a default Keycloak release.
  const warnedDefaultKeycloak = new Set<string>();
  const authenticator = new BasicAuthenticator(config.AUTH_SECRET, config.AUTH_USERNAMES);
  const throttle = new AuthThrottle(config.AUTH_MAX_FAILURES, config.AUTH_FAILURE_WINDOW);

  app.register(async (scope) => {
    scope.decorateRequest('node', '');
    scope.decorateRequest('ingestOutcome', '');

    // One place counts every answer, including those fastify or the error handler gave.
    scope.addHook('onResponse', async (request, reply) => {
      const outcome = request.ingestOutcome || outcomeOfStatus(reply.statusCode);
      metrics.ingest.inc({ outcome });
      metrics.ingestDuration.observe({ outcome }, reply.elapsedTime / 1000);
    });

    // Authentication runs before the body is read: an unauthenticated client never makes us buffer it.
    // The credential is checked first: a correct one is always admitted, whatever others failed.
    scope.addHook('onRequest', async (request, reply) => {
      const credentials = parseBasicAuth(request.headers.authorization);
      const node = authenticator.authenticate(credentials);
      if (node !== null) {
        request.node = node;
        return undefined;
      }
      const address = request.ip;
      const username = credentials?.username ?? '';
      const retryAfter = throttle.retryAfterSeconds(address, username, now());
      if (retryAfter > 0) {
        request.ingestOutcome = 'throttled';
        return sendError(reply, KCR_ERR_AUTH_THROTTLED(retryAfter), { 'retry-after': String(retryAfter) });
      }
      throttle.recordFailure(address, username, now());
      // The username only when it is a configured node name: a sender with username and secret
      // swapped would otherwise write the secret into the logs.
      const known = credentials !== null && authenticator.isListed(username);
      request.log.warn(
        { address, credentials: credentials ? 'invalid' : 'missing', ...(known ? { username } : {}) },
        'ingest authentication failed',
      );
      request.ingestOutcome = 'unauthorized';
      return sendError(reply, credentials ? KCR_ERR_AUTH_INVALID() : KCR_ERR_AUTH_MISSING(), {
        'www-authenticate': 'Basic realm="kc-event-relay", charset="UTF-8"',
      });
    });

    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const body = request.body;
      const nowMs = now();
      let event: CanonicalEvent;
      try {
        if (!Buffer.isBuffer(body) || body.length === 0) throw KCR_ERR_BODY_NOT_JSON('empty body');
        const decoded = decodeBody(body, { settings: senders.for(request.node), contentType: request.headers['content-type'] });
        event = validateEvent(decoded, { node: request.node, nowMs, maxFutureSkewMs: config.MAX_CLOCK_SKEW, assignUid: deps.assignUid });
      } catch (thrown) {
        const err = asDecodeError(thrown, request);
        if (err.quarantinable && config.INVALID_PAYLOAD === 'quarantine') {
          await store.quarantine({
            node: request.node,
            receivedAt: new Date(nowMs).toISOString(),
            remoteAddress: request.ip,
            errorCode: err.code,
            errorMessage: err.message,
            body: body as Buffer,
          });
          request.log.warn({ node: request.node, code: err.code, bytes: (body as Buffer).length }, 'body quarantined');
          request.ingestOutcome = 'quarantined';
          return reply.code(200).send({ status: 'quarantined', error: err.toJSON() });
        }
        request.log.info({ node: request.node, code: err.code }, 'body rejected');
        request.ingestOutcome = 'rejected';
        return sendError(reply, err);
      }
      if (event.source.format === 'flatbuffer') noteEnumNaming(event, request);

      const outcome = await store.append(event, nowMs);
      switch (outcome.status) {
        case 'duplicate':
          request.ingestOutcome = 'duplicate';
          return reply.code(200).send({ status: 'duplicate', uid: event.uid });
        case 'full':
          request.log.warn({ oldestUid: outcome.oldestUid }, 'ring buffer full under BUFFER_OVERFLOW=reject');
          request.ingestOutcome = 'full';
          return sendError(reply, KCR_ERR_BUFFER_FULL(config.BUFFER_CAPACITY), RETRY_AFTER);
        case 'accepted':
          if (outcome.late) metrics.late.inc();
          if (outcome.evicted > 0) metrics.evicted.inc(outcome.evicted);
          for (const lost of outcome.lost) {
            metrics.lost.inc({ destination: lost.destination });
            request.log.warn(lost, 'ring buffer bound dropped an event the destination had not received');
          }
          request.ingestOutcome = 'accepted';
          return reply.code(200).send({ status: 'accepted', uid: event.uid });
      }
    };

    /**
     * An UNKNOWN enum is either a Keycloak constant the emitter build's list lacks or a sign that the
     * node's KEYCLOAK_VERSION is wrong: counted per node, so an operator can tell the two apart.
     */
    const noteEnumNaming = (event: CanonicalEvent, request: FastifyRequest): void => {
      const { node, keycloak, schema } = event.source;
      for (const field of ['type', 'resourceType', 'operationType'] as const) {
        if (event[field] === UNKNOWN) metrics.unknownEnums.inc({ node, field });
      }
      if (senders.for(node).keycloakDefaulted && !warnedDefaultKeycloak.has(node)) {
        warnedDefaultKeycloak.add(node);
        request.log.warn(
          { node, flatbuffersSchema: schema, keycloak },
          `FlatBuffer bodies from ${node} are named by Keycloak ${keycloak} enums, the default of ${schema}: set KEYCLOAK_VERSION (or NODE_SETTINGS) to the Keycloak this node runs`,
        );
      }
    };

    for (const url of INGEST_PATHS) {
      scope.post(url, { bodyLimit: config.BODY_LIMIT }, handler);
    }
  });
}

/** Decoders throw coded errors only; anything else is a decoder bug, reported but still answered 4xx/quarantined. */
function asDecodeError(thrown: unknown, request: FastifyRequest): KcrError {
  if (thrown instanceof KcrError) return thrown;
  request.log.error({ err: thrown }, 'decoder threw an uncoded error');
  return KCR_ERR_DECODE_FAILED();
}
