// Builds the fastify application: ingest, health, metrics and admin routes over one store.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/env.js';
import type { Metrics } from '../metrics/metrics.js';
import type { EventStore } from '../store/event-store.js';
import { errorHandler, notFoundHandler } from './error-reply.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes, type HealthState } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';

export interface AppDeps {
  config: Config;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now?: () => number;
  health?: HealthState;
  /** Where log lines go (default stdout); tests read them back. */
  logStream?: NodeJS.WritableStream;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const app = Fastify({
    logger: {
      level: config.LOG_LEVEL,
      ...(deps.logStream ? { stream: deps.logStream } : {}),
      // Credentials never reach the logs, whatever a serializer or a debug line includes.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'secret'], censor: '[redacted]' },
    },
    requestIdHeader: 'x-request-id',
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    // A keep-alive connection left idle is closed on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  // The emitter sends `application/json` without charset, but any content type must be accepted
  // and the charset decided from the bytes: every body arrives raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(errorHandler(config.BODY_LIMIT));
  app.setNotFoundHandler(notFoundHandler);

  ingestRoutes(app, { ...deps, now: deps.now ?? Date.now });
  healthRoutes(app, deps.store, deps.metrics, deps.health ?? { shuttingDown: false });
  if (config.ADMIN_TOKEN) adminRoutes(app, deps.store, config.ADMIN_TOKEN);
  return app;
}
