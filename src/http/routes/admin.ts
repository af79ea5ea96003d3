// Operator routes behind a bearer token (ADMIN_TOKEN); registered only when the token is set.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KCR_ERR_ADMIN_AUTH, KCR_ERR_EVENT_EVICTED, KCR_ERR_EVENT_NOT_FOUND, KCR_ERR_REQUEST, KCR_ERR_UID_PARAM } from '../../errors.js';
import { uidToDecimal } from '../../event/snowflake.js';
import type { Forwarder } from '../../forward/forwarder.js';
import type { ReplayJobs } from '../../forward/replay.js';
import type { EventStore } from '../../store/event-store.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import type { ProcessGroupReads } from '../process-group.js';
import { requireBearer } from '../auth/bearer-auth.js';
import { codedValidation } from '../error-reply.js';
import { noStore } from '../headers.js';
import { adminForwardingRoutes } from './admin-forwarding.js';
import { adminRevocationRoutes, type AdminRevocationsDeps } from './admin-revocations.js';
import { adminSummaryRoutes, type AdminSummaryDeps } from './admin-summary.js';
import { adminSchema, canonicalEvent } from './admin-schemas.js';
import { errors, limit, uid } from '../schemas.js';

export interface AdminDeps {
  store: EventStore;
  token: string;
  throttle: AuthThrottle;
  forwarding?: { forwarder: Forwarder; jobs: ReplayJobs };
  /** Set when cluster logout runs: GET /admin/revocations and the lifts. */
  revocations?: AdminRevocationsDeps;
  summary: Omit<AdminSummaryDeps, 'forwarder' | 'group'>;
  /** WORKERS above 1: reads of every process of the replica. */
  group?: ProcessGroupReads;
}

const quarantined = z.looseObject({
  id: z.string(),
  node: z.string(),
  receivedAt: z.string(),
  remoteAddress: z.string(),
  errorCode: z.string(),
  errorMessage: z.string(),
  bytes: z.number().int(),
  body: z.string().describe('The exact bytes received, base64'),
});

export function adminRoutes(app: FastifyInstance, { store, token, throttle, forwarding, revocations, summary, group }: AdminDeps): void {
  app.register(async (scope) => {
    // Ingest reads raw bytes; admin requests are ordinary JSON, and an empty body (a redrive of
    // everything sent with a JSON content type) is no body rather than a syntax error.
    const json = scope.getDefaultJsonParser('error', 'error');
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') return done(null, undefined);
      return json(request, text, done);
    });
    scope.addContentTypeParser('*', (_request, _payload, done) => done(KCR_ERR_REQUEST(415, 'admin routes read application/json bodies')));

    // First, so that refusals carry it too.
    scope.addHook('onRequest', noStore);
    scope.addHook('onRequest', requireBearer(token, KCR_ERR_ADMIN_AUTH, throttle));
    const admin = scope.withTypeProvider<ZodTypeProvider>();

    admin.get(
      '/admin/events/:uid',
      {
        schemaErrorFormatter: codedValidation(KCR_ERR_UID_PARAM),
        schema: adminSchema({
          summary: 'One event by uid, within DEDUP_WINDOW',
          params: z.object({ uid }),
          response: {
            200: canonicalEvent.describe('The canonical event (docs/contract.md)'),
            ...errors({
              400: 'KCR_ERR_UID_PARAM: not a decimal signed 64-bit uid',
              404: 'KCR_ERR_EVENT_NOT_FOUND (no such uid in DEDUP_WINDOW), KCR_ERR_EVENT_EVICTED (accepted, since left the ring buffer)',
            }),
          },
        }),
      },
      async (request) => {
        // The canonical decimal the store keys on ("-0" is 0).
        const canonical = uidToDecimal(request.params.uid);
        const found = await store.lookup(canonical);
        if (found.status === 'found') return found.event;
        throw found.status === 'evicted' ? KCR_ERR_EVENT_EVICTED(canonical) : KCR_ERR_EVENT_NOT_FOUND(canonical);
      },
    );

    // Quarantined bodies as an operator needs them: the error, who sent it, and the exact bytes.
    admin.get(
      '/admin/quarantine',
      {
        schema: adminSchema({
          summary: 'The newest quarantined bodies, with their error and sender',
          querystring: z.object({ limit: limit(20, 500) }),
          response: { 200: z.array(quarantined).describe('Newest first') },
        }),
      },
      async (request) => {
        const bodies = await store.listQuarantine(request.query.limit);
        return bodies.map(({ body, ...rest }) => ({ ...rest, bytes: body.length, body: body.toString('base64') }));
      },
    );

    const reads = group ? { group } : {};
    if (forwarding) adminForwardingRoutes(scope, { store, ...forwarding, ...reads });
    if (revocations) adminRevocationRoutes(scope, revocations);
    adminSummaryRoutes(scope, { ...summary, ...(forwarding ? { forwarder: forwarding.forwarder } : {}), ...reads });
  });
}
