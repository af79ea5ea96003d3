// POST /events and /event/receiver: authenticate -> decode -> validate -> store, answering 200 only
// once the event is durably stored (or is a known duplicate), since the emitter resends anything else.
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, FastifySerializerCompiler } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
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
import { LineBudget } from '../../log.js';
import type { Metrics } from '../../metrics/metrics.js';
import { NODE_NAMES_MAX, NodeLabels, OTHER_NODES } from '../../metrics/node-labels.js';
import type { EventStore } from '../../store/event-store.js';
import { validateEvent } from '../../validate/index.js';
import { AuthThrottle, failureAddresses } from '../auth/auth-throttle.js';
import { BasicAuthenticator } from '../auth/basic-auth.js';
import { securedBy } from '../openapi.js';
import { errorBody, errors, uidText } from '../schemas.js';
import { outcomeOfStatus, quarantineBody, storeEvent, type InvalidPayloadSetting, type SenderRouteSettings } from '../store-event.js';

export const INGEST_PATHS = ['/events', '/event/receiver'] as const;

const wireUid = z.union([z.string(), z.number().int()]).optional().describe('Snowflake uid; the relay assigns one when absent');
const SCHEMA: FastifySchema = {
  summary: 'Receive one Keycloak event from the event-emitter; 200 only once it is stored durably (or is a known duplicate)',
  description:
    'The body is read as bytes and decoded by the relay itself, whatever its Content-Type: JSON (Keycloak Event or AdminEvent) ' +
    'or a FlatBuffer wrapper, its charset decided from the bytes (README, "Pointing Keycloak at it"). Anything but a 200 is resent by the emitter.',
  tags: ['ingest'],
  security: securedBy('emitterBasic'),
  rawBody: {
    'application/json': z.union([
      z.looseObject({ uid: wireUid, type: z.string(), realmId: z.string().nullish() }).describe('Keycloak Event'),
      z.looseObject({ uid: wireUid, operationType: z.string(), resourceType: z.string().nullish() }).describe('Keycloak AdminEvent'),
      z
        .object({ type: z.enum(['Event', 'AdminEvent']), obj: z.string().describe('Standard base64 of the FlatBuffer') })
        .describe('FlatBuffer wrapper'),
    ]),
    '*/*': z.string().describe('The same bodies under any other content type'),
  },
  response: {
    200: z
      .discriminatedUnion('status', [
        z.object({ status: z.literal('accepted'), uid: uidText }).describe('Stored durably'),
        z.object({ status: z.literal('duplicate'), uid: uidText }).describe('Already stored (a resend)'),
        z
          .object({ status: z.literal('quarantined'), error: errorBody.shape.error })
          .describe('Undecodable, kept whole (INVALID_PAYLOAD=quarantine)'),
      ])
      .describe('Stored, a duplicate, or quarantined: the emitter is done with it'),
    ...errors({
      400: 'KCR_ERR_BODY_NOT_JSON, or a decoding code (KCR_ERR_CHARSET, KCR_ERR_FLATBUFFER, …) under INVALID_PAYLOAD=reject',
      401: 'KCR_ERR_AUTH_MISSING, KCR_ERR_AUTH_INVALID (WWW-Authenticate: Basic)',
      408: 'KCR_ERR_REQUEST_TIMEOUT: headers and body not received within BODY_TIMEOUT; the connection is closed',
      413: 'KCR_ERR_BODY_TOO_LARGE: over BODY_LIMIT',
      429: 'KCR_ERR_AUTH_THROTTLED: wrong credentials after too many failures (Retry-After)',
      503: 'Not confirmed, resend (Retry-After): KCR_ERR_STORE_UNAVAILABLE, KCR_ERR_BUFFER_FULL, KCR_ERR_OVERLOADED, KCR_ERR_NOT_REPLICATED, KCR_ERR_STORE_LAYOUT',
    }),
  },
};

/** The three 200 bodies of SCHEMA, as the handler sends them. */
type IngestAnswer = { status: 'accepted' | 'duplicate'; uid: string } | { status: 'quarantined'; error: { code: string; message: string } };

/**
 * The 200 answers written from their fixed shapes, byte for byte what the zod serializer wrote
 * (its encode, then JSON.stringify): that pass ran on every stored event. Every other status keeps
 * the zod serializer, and GET /openapi.json is still made from SCHEMA.
 */
const answerSerializer: FastifySerializerCompiler<unknown> = (route) => {
  if (route.httpStatus !== '200') return serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
  return (answer: IngestAnswer) =>
    answer.status === 'quarantined'
      ? JSON.stringify({ status: answer.status, error: { code: answer.error.code, message: answer.error.message } })
      : `{"status":"${answer.status}","uid":${JSON.stringify(answer.uid)}}`;
};

/** The settings the ingest reads, keyed as the environment names them (durations in ms, sizes in bytes). */
export interface IngestSettings extends SenderRouteSettings, InvalidPayloadSetting {
  AUTH_SECRET: string;
  AUTH_USERNAMES?: readonly string[] | undefined;
  AUTH_MAX_FAILURES: number;
  AUTH_FAILURE_WINDOW: number;
  /** Only its names are read here (they are labels from the start); the settings are `senders`. */
  NODE_SETTINGS: Readonly<Record<string, unknown>>;
}

export interface IngestDeps {
  config: IngestSettings;
  senders: SenderSettings;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now: () => number;
  quarantineDrops: LineBudget;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated Keycloak node (Basic-auth username). */
    node: string;
    /** Its metric label and key of per-node state (bounded: src/metrics/node-labels.ts). */
    nodeLabel: string;
    /** What the ingest answered, for the metrics; set where the answer is decided. */
    ingestOutcome: string;
  }
}

export function ingestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const { config, metrics, now, senders } = deps;
  // Nodes (labels) already warned that their FlatBuffer bytes are named by a default Keycloak release.
  const warnedDefaultKeycloak = new Set<string>();
  const labels = new NodeLabels([...(config.AUTH_USERNAMES ?? []), ...Object.keys(config.NODE_SETTINGS)], (capJustReached) => {
    metrics.otherNodes.inc();
    if (capJustReached) {
      app.log.warn(
        { max: NODE_NAMES_MAX },
        `more than ${NODE_NAMES_MAX} distinct sender names since start: later ones share node="${OTHER_NODES}" in metrics and per-node warnings (set AUTH_USERNAMES)`,
      );
    }
  });
  // Per node label: a node whose clock runs ahead stamps every event, and a line per event would flood the log.
  const futureTimeLines = new Map<string, LineBudget>();
  const authenticator = new BasicAuthenticator(config.AUTH_SECRET, config.AUTH_USERNAMES);
  const throttle = new AuthThrottle(config.AUTH_MAX_FAILURES, config.AUTH_FAILURE_WINDOW);

  app.register(async (scope) => {
    scope.decorateRequest('node', '');
    scope.decorateRequest('nodeLabel', '');
    scope.decorateRequest('ingestOutcome', '');

    // One place counts every answer, including those fastify or the error handler gave. The hooks
    // of this scope take a callback, not a promise: they run on every event, and their work is
    // synchronous (a thrown error fails the request as a rejection would).
    scope.addHook('onResponse', (request, reply, done) => {
      const outcome = request.ingestOutcome || outcomeOfStatus(reply.statusCode);
      metrics.ingest.inc({ outcome });
      metrics.ingestDuration.observe({ outcome }, reply.elapsedTime / 1000);
      done();
    });

    // Authentication runs before the body is read: an unauthenticated client never makes us buffer it.
    // The credential is checked first: a correct one is always admitted, whatever others failed.
    scope.addHook('onRequest', (request, _reply, done) => {
      const checked = authenticator.check(request.headers.authorization);
      if (checked.node !== null) {
        request.node = checked.node;
        request.nodeLabel = labels.of(checked.node);
        done();
        return;
      }
      const { credentials } = checked;
      const username = credentials?.username ?? '';
      const addresses = failureAddresses(request);
      const retryAfter = throttle.fail(addresses, username, now());
      if (retryAfter > 0) {
        request.ingestOutcome = 'throttled';
        throw KCR_ERR_AUTH_THROTTLED(retryAfter);
      }
      // The username only when it is a configured node name: a sender with username and secret
      // swapped would otherwise write the secret into the logs.
      const known = credentials !== null && authenticator.isListed(username);
      // Behind a proxy, the client's address and the proxy's (the TCP peer).
      const [address, peer] = addresses;
      request.log.warn(
        {
          address,
          ...(peer === undefined ? {} : { peer }),
          credentials: credentials ? 'invalid' : 'missing',
          ...(known ? { username } : {}),
        },
        'ingest authentication failed',
      );
      request.ingestOutcome = 'unauthorized';
      throw credentials ? KCR_ERR_AUTH_INVALID() : KCR_ERR_AUTH_MISSING();
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
          const record = {
            node: request.node,
            receivedAt: new Date(nowMs).toISOString(),
            remoteAddress: request.ip,
            errorCode: err.code,
            errorMessage: err.message,
            body: body as Buffer,
          };
          await quarantineBody(deps, record, request.log);
          request.ingestOutcome = 'quarantined';
          return reply.code(200).send({ status: 'quarantined', error: err.toJSON() } satisfies IngestAnswer);
        }
        request.log.info({ node: request.node, code: err.code }, 'body rejected');
        request.ingestOutcome = 'rejected';
        throw err;
      }
      if (event.source.format === 'flatbuffer') noteEnumNaming(event, request);
      if (event.time !== null && event.time - nowMs > config.MAX_CLOCK_SKEW) noteFutureTime(event, event.time - nowMs, request);

      const status = await storeEvent(deps, event, nowMs, {}, request.log);
      request.ingestOutcome = status;
      if (status === 'full') throw KCR_ERR_BUFFER_FULL(config.BUFFER_CAPACITY, config.BUFFER_MAX_BYTES);
      return reply.code(200).send({ status, uid: event.uid } satisfies IngestAnswer);
    };

    /**
     * An UNKNOWN enum is either a Keycloak constant the emitter build's list lacks or a sign that the
     * node's KEYCLOAK_VERSION is wrong: counted per node, so an operator can tell the two apart.
     */
    const noteEnumNaming = (event: CanonicalEvent, request: FastifyRequest): void => {
      const { node, keycloak, schema } = event.source;
      const label = request.nodeLabel;
      for (const field of ['type', 'resourceType', 'operationType'] as const) {
        if (event[field] === UNKNOWN) metrics.unknownEnums.inc({ node: label, field });
      }
      if (senders.for(node).keycloakDefaulted && !warnedDefaultKeycloak.has(label)) {
        warnedDefaultKeycloak.add(label);
        request.log.warn(
          { node, flatbuffersSchema: schema, keycloak },
          `FlatBuffer bodies from ${node} are named by Keycloak ${keycloak} enums, the default of ${schema}: set KEYCLOAK_VERSION (or NODE_SETTINGS) to the Keycloak this node runs`,
        );
      }
    };

    /**
     * Keycloak's own time is kept as received (it is the sender's record), but it is no clock to
     * trust: its logouts revoke only up to their arrival (logout/revocation.ts, notBeforeOf).
     * Counted per node, logged at most once a minute per node.
     */
    const noteFutureTime = (event: CanonicalEvent, aheadMs: number, request: FastifyRequest): void => {
      const { node } = event.source;
      // The label, not the name: both the metric and the map stay bounded (metrics/node-labels.ts).
      const label = request.nodeLabel;
      metrics.futureTime.inc({ node: label });
      let lines = futureTimeLines.get(label);
      if (!lines) futureTimeLines.set(label, (lines = new LineBudget(60_000, now)));
      const events = lines.add();
      if (events === null) return;
      request.log.warn(
        { node, uid: event.uid, time: event.time, aheadMs, events },
        `events from ${node} are stamped more than MAX_CLOCK_SKEW ahead of the relay's clock: stored as received; their logouts revoke only up to their arrival`,
      );
    };

    for (const url of INGEST_PATHS) {
      scope.post(url, { bodyLimit: config.BODY_LIMIT, schema: SCHEMA, serializerCompiler: answerSerializer }, handler);
    }
  });
}

/** Decoders throw coded errors only; anything else is a decoder bug, reported but still answered 4xx/quarantined. */
function asDecodeError(thrown: unknown, request: FastifyRequest): KcrError {
  if (thrown instanceof KcrError) return thrown;
  request.log.error({ err: thrown }, 'decoder threw an uncoded error');
  return KCR_ERR_DECODE_FAILED();
}
