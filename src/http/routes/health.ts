import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KCR_ERR_METRICS_AUTH } from '../../errors.js';
import type { SourceStatus } from '../../sources/keycloak/catch-up.js';
import type { EventStore } from '../../store/event-store.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { DestinationInfo } from '../../metrics/summary.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import type { ProcessGroupReads } from '../process-group.js';
import { requireBearer } from '../auth/bearer-auth.js';
import { securedBy } from '../openapi.js';
import { errors, textBody } from '../schemas.js';
import { connectionState, destinationInfo } from './admin-schemas.js';

export interface HealthState {
  shuttingDown: boolean;
}

export interface HealthDeps {
  store: EventStore;
  /** Each destination's link (Forwarder.describe): shown, never a reason to be unready. */
  destinations?: () => DestinationInfo[];
  metrics: Metrics;
  state: HealthState;
  /** METRICS_TOKEN: when set, /metrics asks for it as a bearer token. */
  metricsToken?: string;
  throttle: AuthThrottle;
  /** The catch-up sources (KEYCLOAK_SOURCES), shown as detail: a failing source never makes the relay unready. */
  sources?: () => SourceStatus[];
  /** WORKERS above 1: /metrics answers for every process of the replica. */
  group?: ProcessGroupReads;
}

const readiness = z.looseObject({
  status: z.enum(['ready', 'shutting-down', 'store-unreachable']),
  store: z.enum(['redis', 'redis-cluster', 'embedded']),
  reachable: z.boolean(),
  partitions: z.number().int().optional(),
  singleReplica: z.boolean().optional(),
  detail: z.string().optional(),
  destinations: z
    .array(z.object({ name: z.string(), type: destinationInfo.shape.type, connection: connectionState }))
    .optional()
    .describe(
      "With DESTINATIONS, each destination's connection: shown only; a destination down never makes the relay unready (its events wait in the buffer)",
    ),
  sources: z
    .array(
      z.object({
        name: z.string(),
        state: z.enum(['ok', 'failing', 'waiting']),
        outcome: z.string().nullable().describe("The last run's outcome (kcr_source_poll_total), by whichever replica ran it"),
        lagSeconds: z.number(),
      }),
    )
    .optional()
    .describe('Catch-up sources (KEYCLOAK_SOURCES): detail only, a failing one does not make the relay unready'),
});

// /readyz stays this process's own, its destinations' links too: a probe never waits on the other
// processes (WORKERS), and each process is ready or not by itself.
export function healthRoutes(
  app: FastifyInstance,
  { store, destinations, metrics, state, metricsToken, throttle, group, sources }: HealthDeps,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['probes'],
        response: { 200: z.object({ status: z.literal('ok') }).describe('Alive') },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  // Ready = the store answers; a load balancer stops routing here while it does not, or while
  // the process drains for shutdown.
  api.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the store is reachable and the process is not draining for shutdown',
        tags: ['probes'],
        response: { 200: readiness.describe('Ready'), 503: readiness.describe('Not ready: store unreachable, or shutting down') },
      },
    },
    async (_request, reply) => {
      const status = await store.status();
      const ready = status.reachable && !state.shuttingDown;
      const links = (destinations?.() ?? []).map(({ name, type, connection }) => ({ name, type, connection }));
      // Without URLs, replicas or error texts: /readyz answers anyone.
      const detail = sources?.().map(({ name, state: sourceState, lastPoll, lagSeconds }) => ({
        name,
        state: sourceState,
        outcome: lastPoll?.outcome ?? null,
        lagSeconds,
      }));
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : state.shuttingDown ? 'shutting-down' : 'store-unreachable',
        ...status,
        ...(links.length > 0 ? { destinations: links } : {}),
        ...(detail ? { sources: detail } : {}),
      });
    },
  );

  // Open by default (counts and latencies, no event content); METRICS_TOKEN closes it.
  api.get(
    '/metrics',
    {
      ...(metricsToken ? { onRequest: requireBearer(metricsToken, KCR_ERR_METRICS_AUTH, throttle) } : {}),
      schema: {
        summary: 'Prometheus metrics (counts and latencies, never event content)',
        tags: ['probes'],
        ...(metricsToken ? { security: securedBy('metricsToken') } : {}),
        response: {
          200: textBody(metrics.registry.contentType, 'Prometheus text exposition format'),
          ...(metricsToken
            ? errors({
                401: 'KCR_ERR_METRICS_AUTH: no or wrong bearer token',
                429: 'KCR_ERR_AUTH_THROTTLED: too many wrong tokens from this address',
              })
            : {}),
        },
      },
    },
    async (_request, reply) =>
      reply.header('content-type', metrics.registry.contentType).send(await (group ? group.metricsText() : metrics.registry.metrics())),
  );
}
