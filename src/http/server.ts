// Builds the fastify application: ingest, health, metrics and admin routes over one store, each
// declaring its schemas (src/http/openapi.ts), every failure answered by one error handler.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { BackchannelReceiver } from '../backchannel/receiver.js';
import type { SecurityEventTokenVerifier } from '../backchannel/security-event-token.js';
import type { SenderSettings } from '../decode/sender-settings.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { ReplayJobs } from '../forward/replay.js';
import { LineBudget } from '../log.js';
import type { LogoutService } from '../logout/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CatchUp } from '../sources/keycloak/catch-up.js';
import type { EventStore } from '../store/event-store.js';
import type { ProcessGroupReads } from './process-group.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { proxyTrust, type TrustProxy } from './proxy-trust.js';
import { capConnectionsPerAddress, refusalWarnings } from './connection-cap.js';
import { clientErrorHandler, codedValidation, errorHandler, notFoundHandler, refuseWhileClosing } from './error-reply.js';
import { noSniff } from './headers.js';
import { openApiRoute, registerOpenApi } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { backchannelLogoutRoutes } from './routes/backchannel-logout.js';
import { healthRoutes, type HealthState } from './routes/health.js';
import { INGEST_PATHS, ingestRoutes, type IngestSettings } from './routes/ingest.js';
import { loadShedding, type LoadSheddingSettings } from './load-shedding.js';
import { echoRequestId, requestIds } from './request-id.js';
import { RequestLog } from './request-log.js';
import { logoutRoutes } from './routes/logouts.js';
import { PHASETWO_PATH, phaseTwoRoutes, type PhaseTwoDeps } from './routes/phasetwo-webhook.js';
import { SSF_PUSH_PATH, ssfPushRoutes } from './routes/ssf-push.js';
import { statusPageRoutes } from './routes/status-page.js';

/** The settings the HTTP side reads, keyed as the environment names them; relay.ts passes its Config. */
export interface AppSettings extends IngestSettings, LoadSheddingSettings {
  TRUST_PROXY: TrustProxy;
  BODY_TIMEOUT: number;
  MAX_CONNECTIONS_PER_ADDRESS: number;
  BUFFER_OVERFLOW: 'drop-oldest' | 'reject';
  ADMIN_TOKEN?: string | undefined;
  METRICS_TOKEN?: string | undefined;
  LOGOUT_STREAM_TOKEN?: string | undefined;
  SSF_PUSH_AUTHORIZATION?: string | undefined;
}

export interface AppDeps {
  config: AppSettings;
  senders: SenderSettings;
  store: EventStore;
  metrics: Metrics;
  assignUid: () => bigint;
  now?: () => number;
  health?: HealthState;
  forwarding?: { forwarder: Forwarder; jobs: ReplayJobs };
  logout?: Pick<LogoutService, 'bus' | 'stream' | 'recent'>;
  /** Set when TOKEN_ISSUERS is: POST /backchannel-logout. */
  backchannel?: BackchannelReceiver;
  /** WORKERS above 1: what operators read is the replica's, whichever process answers. */
  group?: ProcessGroupReads;
  /** Set with PHASETWO_SECRETS or TOKEN_ISSUERS: POST /webhooks/phasetwo, with what each verifies. */
  phasetwo?: Pick<PhaseTwoDeps, 'signature' | 'tokens'>;
  /** Set when TOKEN_ISSUERS is: POST /ssf/push. */
  ssf?: SecurityEventTokenVerifier;
  /** Set with KEYCLOAK_SOURCES: its sources on /readyz and the status page. */
  catchUp?: Pick<CatchUp, 'statuses'>;
  logger: FastifyBaseLogger;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const proxies = proxyTrust(config.TRUST_PROXY);
  const app = Fastify({
    loggerInstance: deps.logger,
    // X-Request-Id is read by genReqId, which refuses long or unprintable ones.
    requestIdHeader: false,
    genReqId: requestIds(),
    bodyLimit: config.BODY_LIMIT,
    trustProxy: proxies.trustProxy,
    // A keep-alive connection left idle is closed on shutdown; in-flight requests still finish.
    forceCloseConnections: 'idle',
    // Requests arriving on a busy keep-alive connection once closing has begun are refused by
    // refuseWhileClosing (KCR_ERR_SHUTTING_DOWN), not by fastify's own uncoded 503.
    return503OnClosing: false,
    // A request (headers and body) must arrive within BODY_TIMEOUT, checked every second (Node's
    // default check runs every 30 s); fastify's own default is no limit at all.
    requestTimeout: config.BODY_TIMEOUT,
    http: { requestTimeout: config.BODY_TIMEOUT, headersTimeout: config.BODY_TIMEOUT, connectionsCheckingInterval: 1_000 },
    logController: new RequestLog(),
    clientErrorHandler: clientErrorHandler(config.BODY_TIMEOUT),
    schemaErrorFormatter: codedValidation(),
  });
  const warnRefusal = refusalWarnings(deps.logger, config.MAX_CONNECTIONS_PER_ADDRESS);
  capConnectionsPerAddress(app.server, config.MAX_CONNECTIONS_PER_ADDRESS, proxies.isProxy, (address) => {
    deps.metrics.connectionsRefused.inc();
    warnRefusal(address);
  });
  noSniff(app.server);
  echoRequestId(app);

  // The emitter sends `application/json` without charset, but any content type must be accepted
  // and the charset decided from the bytes: every body arrives raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(errorHandler(config.BODY_LIMIT));
  app.setNotFoundHandler(notFoundHandler);
  refuseWhileClosing(app);
  registerOpenApi(app);
  loadShedding(app, config, [...INGEST_PATHS, PHASETWO_PATH, SSF_PUSH_PATH]);
  // Routes once the document's collector is loaded, so that it sees every one of them.
  app.after(() => routes(app, deps));
  return app;
}

function routes(app: FastifyInstance, deps: AppDeps): void {
  const { config } = deps;
  // Wrong bearer tokens (admin, logout stream, metrics) share one budget per address.
  const bearerThrottle = new AuthThrottle(config.AUTH_MAX_FAILURES, config.AUTH_FAILURE_WINDOW);
  const now = deps.now ?? Date.now;
  // One budget for the quarantine's drops, whichever sender's body made room (http/store-event.ts).
  const quarantineDrops = new LineBudget(60_000, now);
  const { catchUp } = deps;
  const sources = catchUp ? () => catchUp.statuses() : undefined;
  openApiRoute(app);
  ingestRoutes(app, { ...deps, now, quarantineDrops });
  healthRoutes(app, {
    store: deps.store,
    ...(deps.forwarding ? { destinations: () => deps.forwarding!.forwarder.describe() } : {}),
    metrics: deps.metrics,
    state: deps.health ?? { shuttingDown: false },
    ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
    throttle: bearerThrottle,
    ...(sources ? { sources } : {}),
    ...(deps.group ? { group: deps.group } : {}),
  });
  statusPageRoutes(app);
  if (config.ADMIN_TOKEN) {
    const summary = {
      metrics: deps.metrics,
      buffer: { capacity: config.BUFFER_CAPACITY, overflow: config.BUFFER_OVERFLOW },
      startedAt: new Date(),
      ...(deps.logout ? { recentLogouts: deps.logout.recent } : {}),
      ...(sources ? { sources } : {}),
    };
    adminRoutes(app, {
      store: deps.store,
      token: config.ADMIN_TOKEN,
      throttle: bearerThrottle,
      forwarding: deps.forwarding,
      ...(deps.logout ? { revocations: { bus: deps.logout.bus } } : {}),
      summary,
      ...(deps.group ? { group: deps.group } : {}),
    });
  }
  if (deps.logout && config.LOGOUT_STREAM_TOKEN) {
    logoutRoutes(app, { ...deps.logout, token: config.LOGOUT_STREAM_TOKEN, throttle: bearerThrottle });
  }
  if (deps.backchannel) backchannelLogoutRoutes(app, deps.backchannel, config.BODY_LIMIT);
  // Failed signatures of the other senders share one budget per address.
  const senderThrottle = new AuthThrottle(config.AUTH_MAX_FAILURES, config.AUTH_FAILURE_WINDOW);
  if (deps.phasetwo) phaseTwoRoutes(app, { ...deps, ...deps.phasetwo, now, quarantineDrops, throttle: senderThrottle });
  if (deps.ssf) ssfPushRoutes(app, { ...deps, verifier: deps.ssf, now, throttle: senderThrottle });
}
