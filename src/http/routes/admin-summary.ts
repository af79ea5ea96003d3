// What the status page reads besides the existing admin routes: one summary of the relay's
// counters and gauges, and the latest logout messages.
import type { FastifyInstance } from 'fastify';
import type { Forwarder } from '../../forward/forwarder.js';
import type { RecentLogouts } from '../../logout/recent.js';
import { summarize } from '../../metrics/summary.js';
import type { Metrics } from '../../metrics/metrics.js';

export interface AdminSummaryDeps {
  metrics: Metrics;
  buffer: { capacity: number; overflow: string };
  forwarder?: Forwarder;
  /** Absent when the logout publisher does not run in this process. */
  recentLogouts?: RecentLogouts;
  startedAt: Date;
}

/** A destination URL without credentials or query (tokens live there): for display only. */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export function adminSummaryRoutes(admin: FastifyInstance, deps: AdminSummaryDeps): void {
  const destinations = () => {
    const now = Date.now();
    return [...(deps.forwarder?.workers.values() ?? [])].map((w) => ({
      name: w.name,
      url: displayUrl(w.destination.url),
      circuit: w.breaker.state(now),
    }));
  };

  admin.get('/admin/summary', async () =>
    summarize({
      registry: deps.metrics.registry,
      startedAt: deps.startedAt,
      buffer: deps.buffer,
      destinations,
      logoutEnabled: deps.recentLogouts !== undefined,
    }),
  );

  admin.get<{ Querystring: { limit?: string } }>('/admin/logouts/recent', async (request) => {
    const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 50);
    return deps.recentLogouts?.latest(limit) ?? [];
  });
}
