// What the status page reads besides the existing admin routes: one summary of the relay's
// counters and gauges, and the latest logout messages.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Forwarder } from '../../forward/forwarder.js';
import type { ProcessGroupReads } from '../process-group.js';
import type { RecentLogouts } from '../../logout/recent.js';
import { summarize, type Summary } from '../../metrics/summary.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { SourceStatus } from '../../sources/keycloak/catch-up.js';
import { limit, loose } from '../schemas.js';
import { adminSchema, destinationInfo } from './admin-schemas.js';
import { logoutMessage } from './logout-schemas.js';

export interface AdminSummaryDeps {
  metrics: Metrics;
  buffer: { capacity: number; overflow: string };
  forwarder?: Forwarder;
  /** Absent when the logout publisher does not run in this process. */
  recentLogouts?: RecentLogouts;
  startedAt: Date;
  /** The catch-up sources (KEYCLOAK_SOURCES), when any is listed. */
  sources?: () => SourceStatus[];
  /** WORKERS above 1: the replica's metrics, destinations and logouts, whichever process answers. */
  group?: ProcessGroupReads;
}

const count = z.number();
const summary = loose<Summary>()({
  time: z.string(),
  startedAt: z.string(),
  ingest: z.record(z.string(), count).describe('Answers of the ingest routes by outcome (kcr_ingest_requests_total)'),
  ingestDuration: z.looseObject({ buckets: z.array(z.object({ le: z.number(), count })), count, sum: z.number() }),
  late: count,
  buffer: z.looseObject({ length: count.nullable(), capacity: count, overflow: z.string(), evicted: count, lost: count }),
  destinations: z.array(destinationInfo),
  logout: z.looseObject({ enabled: z.boolean(), lag: count.nullable(), published: count, failures: count }),
  sources: z
    .array(
      z.looseObject({
        name: z.string(),
        state: z.enum(['ok', 'failing', 'waiting']),
        polledBy: z.string().nullable(),
        lagSeconds: count,
        accepted: count,
        duplicates: count,
      }),
    )
    .describe('Catch-up sources (KEYCLOAK_SOURCES): each one as the store last showed this replica, and what this replica stored of it'),
});

export function adminSummaryRoutes(app: FastifyInstance, deps: AdminSummaryDeps): void {
  const admin = app.withTypeProvider<ZodTypeProvider>();
  const { group } = deps;
  const destinations = async () => (deps.forwarder ? (group ? group.destinations() : deps.forwarder.describe()) : []);

  admin.get(
    '/admin/summary',
    {
      schema: adminSchema({
        summary: "The status page's counters, gauges and answer-time histogram, as /metrics has them",
        response: { 200: summary.describe("This replica's counters (all its processes'); store gauges are shared") },
      }),
    },
    async () =>
      summarize({
        read: () => (group ? group.metricsJson() : deps.metrics.registry.getMetricsAsJSON()),
        startedAt: deps.startedAt,
        buffer: deps.buffer,
        destinations,
        logoutEnabled: deps.recentLogouts !== undefined,
        sources: deps.sources ?? (() => []),
      }),
  );

  admin.get(
    '/admin/logouts/recent',
    {
      schema: adminSchema({
        summary: 'The latest logout messages this replica (all its processes) published',
        querystring: z.object({ limit: limit(20, 50) }),
        response: { 200: z.array(logoutMessage).describe('Newest first; empty when the logout publisher does not run here') },
      }),
    },
    async (request) => {
      if (!deps.recentLogouts) return [];
      return group ? group.recentLogouts(request.query.limit) : deps.recentLogouts.latest(request.query.limit);
    },
  );
}
