// Builds the fastify application: ingest, health, metrics and admin routes over one store.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { BackchannelReceiver } from '../backchannel/receiver.js';
import type { Config } from '../config/env.js';
import type { SenderSettings } from '../decode/sender-settings.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { ReplayJobs } from '../forward/replay.js';
import type { LogoutService } from '../logout/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { EventStore } from '../store/event-store.js';
import { errorHandler, notFoundHandler } from './error-reply.js';
import { adminRoutes } from './routes/admin.js';
import { backchannelLogoutRoutes } from './routes/backchannel-logout.js';
import { healthRoutes, type HealthState } from './routes/health.js';
import { INGEST_PATHS, ingestRoutes } from './routes/ingest.js';
import { loadShedding } from './load-shedding.js';
import { RequestLog } from './request-log.js';
import { logoutRoutes } from './routes/logouts.js';
import { statusPageRoutes } from './routes/status-page.js';

export interface AppDeps {
  config: Config;
  senders: SenderSettings;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now?: () => number;
  health?: HealthState;
  forwarding?: { forwarder: Forwarder; jobs: ReplayJobs };
  logout?: Pick<LogoutService, 'bus' | 'stream' | 'recent'>;
  /** Set when BACKCHANNEL_ISSUERS is: POST /backchannel-logout. */
  backchannel?: BackchannelReceiver;
  logger: FastifyBaseLogger;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    requestIdHeader: 'x-request-id',
    bodyLimit: config.BODY_LIMIT,
    trustProxy: config.TRUST_PROXY,
    // A keep-alive connection left idle is closed on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    logController: new RequestLog(),
  });

  // The emitter sends `application/json` without charset, but any content type must be accepted
  // and the charset decided from the bytes: every body arrives raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(errorHandler(config.BODY_LIMIT));
  app.setNotFoundHandler(notFoundHandler);

  loadShedding(app, config, INGEST_PATHS);
  ingestRoutes(app, { ...deps, now: deps.now ?? Date.now });
  healthRoutes(app, deps.store, deps.metrics, deps.health ?? { shuttingDown: false });
  statusPageRoutes(app);
  if (config.ADMIN_TOKEN) {
    const summary = {
      metrics: deps.metrics,
      buffer: { capacity: config.BUFFER_CAPACITY, overflow: config.BUFFER_OVERFLOW },
      startedAt: new Date(),
      ...(deps.logout ? { recentLogouts: deps.logout.recent } : {}),
    };
    adminRoutes(app, { store: deps.store, token: config.ADMIN_TOKEN, forwarding: deps.forwarding, summary });
  }
  if (deps.logout && config.LOGOUT_STREAM_TOKEN) logoutRoutes(app, { ...deps.logout, token: config.LOGOUT_STREAM_TOKEN });
  if (deps.backchannel) backchannelLogoutRoutes(app, deps.backchannel);
  return app;
}
