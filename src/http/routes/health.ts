import type { FastifyInstance } from 'fastify';
import { KCR_ERR_METRICS_AUTH } from '../../errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { requireBearer } from '../auth/bearer-auth.js';

export interface HealthState {
  shuttingDown: boolean;
}

export interface HealthDeps {
  store: EventStore;
  metrics: Metrics;
  state: HealthState;
  /** METRICS_TOKEN: when set, /metrics asks for it as a bearer token. */
  metricsToken?: string;
  throttle: AuthThrottle;
}

export function healthRoutes(app: FastifyInstance, { store, metrics, state, metricsToken, throttle }: HealthDeps): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Ready = the store answers; a load balancer stops routing here while it does not, or while
  // the process drains for shutdown.
  app.get('/readyz', async (_request, reply) => {
    const status = await store.status();
    const ready = status.reachable && !state.shuttingDown;
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : state.shuttingDown ? 'shutting-down' : 'store-unreachable', ...status });
  });

  // Open by default (counts and latencies, no event content); METRICS_TOKEN closes it.
  const guard = metricsToken ? { onRequest: requireBearer(metricsToken, 'kc-event-relay metrics', KCR_ERR_METRICS_AUTH, throttle) } : {};
  app.get('/metrics', guard, async (_request, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
