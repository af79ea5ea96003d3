// Operator routes behind a bearer token (ADMIN_TOKEN); registered only when the token is set.
import type { FastifyInstance } from 'fastify';
import { KCR_ERR_ADMIN_AUTH, KCR_ERR_EVENT_EVICTED, KCR_ERR_EVENT_NOT_FOUND, KCR_ERR_UID_PARAM } from '../../errors.js';
import { INT64_MAX, INT64_MIN } from '../../event/snowflake.js';
import type { Forwarder } from '../../forward/forwarder.js';
import type { ReplayJobs } from '../../forward/replay.js';
import type { EventStore } from '../../store/event-store.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { requireBearer } from '../auth/bearer-auth.js';
import { sendError } from '../error-reply.js';
import { adminForwardingRoutes } from './admin-forwarding.js';
import { adminSummaryRoutes, type AdminSummaryDeps } from './admin-summary.js';

export interface AdminDeps {
  store: EventStore;
  token: string;
  throttle: AuthThrottle;
  forwarding?: { forwarder: Forwarder; jobs: ReplayJobs };
  summary: Omit<AdminSummaryDeps, 'forwarder'>;
}

function isInt64Decimal(text: string): boolean {
  if (!/^-?\d{1,19}$/.test(text)) return false;
  const v = BigInt(text);
  return v >= INT64_MIN && v <= INT64_MAX;
}

export function adminRoutes(app: FastifyInstance, { store, token, throttle, forwarding, summary }: AdminDeps): void {
  app.register(async (admin) => {
    // Ingest reads raw bytes; admin requests are ordinary JSON, and an empty body (a redrive of
    // everything sent with a JSON content type) is no body rather than a syntax error.
    const json = admin.getDefaultJsonParser('error', 'error');
    admin.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') return done(null, undefined);
      return json(request, text, done);
    });

    admin.addHook('onRequest', requireBearer(token, 'kc-event-relay admin', KCR_ERR_ADMIN_AUTH, throttle));

    admin.get<{ Params: { uid: string } }>('/admin/events/:uid', async (request, reply) => {
      const { uid } = request.params;
      if (!isInt64Decimal(uid)) return sendError(reply, KCR_ERR_UID_PARAM(uid));
      // Normalise "007" and "-0" to the canonical decimal the store keys on.
      const canonical = BigInt(uid).toString();
      const found = await store.lookup(canonical);
      if (found.status === 'found') return found.event;
      return sendError(reply, found.status === 'evicted' ? KCR_ERR_EVENT_EVICTED(canonical) : KCR_ERR_EVENT_NOT_FOUND(canonical));
    });

    // Quarantined bodies as an operator needs them: the error, who sent it, and the exact bytes.
    admin.get<{ Querystring: { limit?: string } }>('/admin/quarantine', async (request) => {
      const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 500);
      const bodies = await store.listQuarantine(limit);
      return bodies.map(({ body, ...rest }) => ({ ...rest, bytes: body.length, body: body.toString('base64') }));
    });

    if (forwarding) adminForwardingRoutes(admin, { store, ...forwarding });
    adminSummaryRoutes(admin, { ...summary, ...(forwarding ? { forwarder: forwarding.forwarder } : {}) });
  });
}
