// The relay assembled from its parts: store, HTTP app, forwarder, logout publisher. main.ts runs one
// per process; tests run the same assembly, so what they exercise is what production wires.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { configuredIssuers } from './backchannel/issuers.js';
import { BackchannelReceiver } from './backchannel/receiver.js';
import { SecurityEventTokenVerifier } from './backchannel/security-event-token.js';
import { trustedIssuers } from './backchannel/signed-token.js';
import { WebhookTokenVerifier } from './backchannel/webhook-token.js';
import { destinationWarnings } from './config/destination-warnings.js';
import { PhaseTwoSignature } from './http/auth/phasetwo-signature.js';
import type { Config } from './config/env.js';
import { consumerName } from './consume/consumer-name.js';
import { SenderSettings } from './decode/sender-settings.js';
import { UidAssigner } from './event/snowflake.js';
import { filterTagsOf } from './forward/filter.js';
import { Forwarder } from './forward/forwarder.js';
import { ReplayJobs } from './forward/replay.js';
import type { ProcessGroupReads } from './http/process-group.js';
import type { HealthState } from './http/routes/health.js';
import { buildApp } from './http/server.js';
import { logoutTagging } from './logout/group.js';
import { LogoutService } from './logout/service.js';
import { Metrics } from './metrics/metrics.js';
import { sharedRead } from './metrics/shared-read.js';
import { CatchUp } from './sources/keycloak/catch-up.js';
import { createStore } from './store/create-store.js';
import type { EventStore } from './store/event-store.js';
import type { Collectors } from './workers/worker-link.js';

/** One of the replica's relay processes (WORKERS above 1), and its link to the others. */
export interface RelayProcess {
  /** 0..WORKERS-1: its consumer name and its bits in assigned uids and message ids. */
  index: number;
  serve(collectors: Collectors): void;
  reads(): ProcessGroupReads;
}

export interface RelayOptions {
  logger: FastifyBaseLogger;
  /** Consumer name of this replica in every group (default: consumerName, host name + RELAY_WORKER_ID). */
  consumer?: string;
  /** Longest wait of the forwarder's and publisher's reads, hence of their stop (default 1 s). */
  blockMs?: number;
  /** Whether the logout publisher runs (default true). */
  logout?: boolean;
  /** Set in each process of a replica run with WORKERS above 1. */
  process?: RelayProcess;
  /**
   * The clock that senders' times are checked against (tokens' iat and exp, the receive time):
   * tests replaying captured requests fix it to the capture's moment. Default Date.now.
   */
  now?: () => number;
}

export interface Relay {
  app: FastifyInstance;
  store: EventStore;
  /** What the start-up log says about the store. */
  storeDescription: string;
  /** How each sender's bodies are decoded (FLATBUFFERS_SCHEMA, KEYCLOAK_VERSION, NODE_SETTINGS). */
  senders: SenderSettings;
  metrics: Metrics;
  forwarder: Forwarder;
  logout: LogoutService | null;
  /** The catch-up of KEYCLOAK_SOURCES; null when none is listed. */
  catchUp: CatchUp | null;
  health: HealthState;
  /** Listens, then starts the background consumers; resolves to the port bound. */
  start(host: string, port: number): Promise<number>;
  /** Answers in-flight requests, stops the consumers, then closes the store. */
  close(): Promise<void>;
}

/**
 * A publish takes milliseconds, so the logout publisher's entries are stale long before a slow
 * destination's: FORWARD_CLAIM_IDLE, but at most 30 s.
 */
function logoutClaimIdle(config: Config): number {
  return Math.min(config.FORWARD_CLAIM_IDLE, 30_000);
}

/**
 * A replay or redrive job whose replica stopped saving it is taken over after FORWARD_CLAIM_IDLE,
 * within 3 to 30 s: its progress is saved every second, and a job needs no destination timeout's grace.
 */
function jobLease(config: Config): number {
  return Math.min(Math.max(config.FORWARD_CLAIM_IDLE, 3_000), 30_000);
}

export async function createRelay(config: Config, options: RelayOptions): Promise<Relay> {
  const { logger } = options;
  for (const { destination, message } of destinationWarnings(config.DESTINATIONS)) logger.warn({ destination }, message);
  // Each entry's tags: whether it ends sessions (the logout group reads only those), and which
  // destination filters it passes. The logout tag first: a replica before tags, still running in a
  // rolling upgrade, reads it as the third field of a Redis entry, where it always was.
  const logoutTags = logoutTagging({ credentialChange: config.SSF_CREDENTIAL_CHANGE });
  const filterTags = filterTagsOf(config.DESTINATIONS);
  const { store, backend, description } = await createStore(config, logger, {
    ...logoutTags,
    tagsOf: (event) => ({ ...logoutTags.tagsOf(event), ...filterTags(event) }),
  });
  const senders = new SenderSettings(config);
  const health: HealthState = { shuttingDown: false };
  // One read of the store's status serves a scrape's gauges (it asks every Redis primary for INFO).
  const status = sharedRead(() => store.status());
  const metrics = new Metrics({
    bufferLength: () => store.bufferLength(),
    bufferCapacity: config.BUFFER_CAPACITY,
    bufferBytes: () => store.bufferBytes(),
    bufferMaxBytes: config.BUFFER_MAX_BYTES,
    ready: async () => !health.shuttingDown && (await status()).reachable,
    replication: async () => (await status()).replication,
  });
  const now = options.now ?? Date.now;
  const processIndex = options.process?.index ?? 0;
  const uids = new UidAssigner({ workerId: config.RELAY_WORKER_ID, processIndex, now });
  const consumer = options.consumer ?? consumerName(config.RELAY_WORKER_ID, undefined, processIndex);
  const blockMs = options.blockMs ? { blockMs: options.blockMs } : {};
  const forwarder = new Forwarder({
    destinations: config.DESTINATIONS,
    store,
    registry: metrics.registry,
    lost: metrics.lost,
    log: logger,
    claimIdleMs: config.FORWARD_CLAIM_IDLE,
    consumer,
    ...blockMs,
  });
  const logout =
    options.logout === false
      ? null
      : new LogoutService({
          config,
          processIndex,
          store,
          backend,
          registry: metrics.registry,
          lost: metrics.lost,
          log: logger,
          publisher: { consumer, claimIdleMs: logoutClaimIdle(config), ...blockMs },
        });
  const configured = configuredIssuers(config);
  // One key cache per issuer, shared by the three token intakes.
  const issuers = configured ? trustedIssuers(configured, config.BACKCHANNEL_JWKS_COOLDOWN) : null;
  const tokenCheck = issuers
    ? { issuers, algorithms: config.BACKCHANNEL_ALGORITHMS, clockSkewS: Math.ceil(config.BACKCHANNEL_CLOCK_SKEW / 1000), now }
    : null;
  const backchannel =
    logout && issuers
      ? new BackchannelReceiver({ config, issuers, bus: logout.bus, nextId: logout.nextId, registry: metrics.registry, log: logger, now })
      : null;
  const jobs = new ReplayJobs({
    store,
    worker: (name) => forwarder.workers.get(name),
    owner: consumer,
    leaseMs: jobLease(config),
    log: logger,
  });
  // A source whose replica stopped renewing is taken over like a job: an interval plus the same grace.
  const catchUp =
    config.KEYCLOAK_SOURCES.length === 0
      ? null
      : new CatchUp({
          config,
          store,
          metrics,
          registry: metrics.registry,
          log: logger,
          owner: consumer,
          leaseGraceMs: jobLease(config),
          assignUid: () => uids.next(),
          now,
        });
  const phasetwo =
    config.PHASETWO_SECRETS || tokenCheck
      ? {
          signature: config.PHASETWO_SECRETS ? new PhaseTwoSignature(config.PHASETWO_SECRETS, config.PHASETWO_ALGORITHMS) : null,
          tokens: tokenCheck ? new WebhookTokenVerifier(tokenCheck) : null,
        }
      : null;
  const ssf = tokenCheck ? new SecurityEventTokenVerifier(tokenCheck, config.SSF_MAX_SET_AGE) : null;
  // Jobs live in the store, so any process finds one there: only these reads are asked of each process.
  options.process?.serve({
    metrics: () => metrics.registry.getMetricsAsJSON(),
    logouts: (limit) => logout?.recent.latest(Number(limit)) ?? [],
    destinations: () => forwarder.describe(),
  });
  const app = buildApp({
    config,
    senders,
    store,
    metrics,
    logger,
    assignUid: () => uids.next(),
    now,
    health,
    forwarding: { forwarder, jobs },
    ...(options.process ? { group: options.process.reads() } : {}),
    ...(logout ? { logout } : {}),
    ...(backchannel ? { backchannel } : {}),
    ...(phasetwo ? { phasetwo } : {}),
    ...(ssf ? { ssf } : {}),
    ...(catchUp ? { catchUp } : {}),
  });

  return {
    app,
    store,
    storeDescription: description,
    senders,
    metrics,
    forwarder,
    logout,
    catchUp,
    health,
    async start(host, port) {
      await logout?.ready();
      await app.listen({ host, port });
      await forwarder.start();
      jobs.start();
      logout?.start();
      catchUp?.start();
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      health.shuttingDown = true;
      await app.close();
      // Jobs stop at their next step; the forwarder's stop ends the deliveries they wait on.
      const jobsStopped = jobs.stop();
      // A source's run ends at once (its requests are cut) and its lease goes to another replica.
      const catchUpStopped = catchUp?.stop();
      await forwarder.stop();
      await jobsStopped;
      await catchUpStopped;
      await logout?.stop();
      await store.close();
    },
  };
}
