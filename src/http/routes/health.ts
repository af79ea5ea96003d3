import type { FastifyInstance } from 'fastify';
import type { EventStore } from '../../store/event-store.js';
import type { Metrics } from '../../metrics/metrics.js';

export interface HealthState {
  shuttingDown: boolean;
}

export function healthRoutes(app: FastifyInstance, store: EventStore, metrics: Metrics, state: HealthState): void {
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

  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
