// The relay assembled from its parts: store, HTTP app, forwarder, logout publisher. main.ts runs one
// per process; tests run the same assembly, so what they exercise is what production wires.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { BackchannelReceiver } from './backchannel/receiver.js';
import { destinationWarnings } from './config/destination-warnings.js';
import type { Config } from './config/env.js';
import { consumerName } from './consume/consumer-name.js';
import { SenderSettings } from './decode/sender-settings.js';
import { UidAssigner } from './event/snowflake.js';
import { Forwarder } from './forward/forwarder.js';
import { ReplayJobs } from './forward/replay.js';
import type { ProcessGroupReads } from './http/process-group.js';
import type { HealthState } from './http/routes/health.js';
import { buildApp } from './http/server.js';
import { LogoutService } from './logout/service.js';
import { Metrics } from './metrics/metrics.js';
import { sharedRead } from './metrics/shared-read.js';
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

export async function createRelay(config: Config, options: RelayOptions): Promise<Relay> {
  const { logger } = options;
  for (const { destination, message } of destinationWarnings(config.DESTINATIONS)) logger.warn({ destination }, message);
  const { store, backend, description } = await createStore(config, logger);
  const senders = new SenderSettings(config);
  const health: HealthState = { shuttingDown: false };
  // One read of the store's status serves a scrape's gauges (it asks every Redis primary for INFO).
  const status = sharedRead(() => store.status());
  const metrics = new Metrics({
    bufferLength: () => store.bufferLength(),
    bufferCapacity: config.BUFFER_CAPACITY,
    ready: async () => !health.shuttingDown && (await status()).reachable,
    replication: async () => (await status()).replication,
  });
  const processIndex = options.process?.index ?? 0;
  const uids = new UidAssigner({ workerId: config.RELAY_WORKER_ID, processIndex });
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
  const backchannel =
    logout && config.BACKCHANNEL_ISSUERS
      ? new BackchannelReceiver({ config, bus: logout.bus, nextId: logout.nextId, registry: metrics.registry, log: logger })
      : null;
  const jobs = new ReplayJobs(store);
  options.process?.serve({
    metrics: () => metrics.registry.getMetricsAsJSON(),
    logouts: (limit) => logout?.recent.latest(Number(limit)) ?? [],
    circuits: () => {
      const now = Date.now();
      return Object.fromEntries([...forwarder.workers.values()].map((w) => [w.name, w.breaker.state(now)]));
    },
    job: (id) => jobs.get(String(id)) ?? null,
  });
  const app = buildApp({
    config,
    senders,
    store,
    metrics,
    logger,
    assignUid: () => uids.next(),
    health,
    forwarding: { forwarder, jobs },
    ...(options.process ? { group: options.process.reads() } : {}),
    ...(logout ? { logout } : {}),
    ...(backchannel ? { backchannel } : {}),
  });

  return {
    app,
    store,
    storeDescription: description,
    senders,
    metrics,
    forwarder,
    logout,
    health,
    async start(host, port) {
      await app.listen({ host, port });
      await forwarder.start();
      logout?.start();
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async close() {
      health.shuttingDown = true;
      await app.close();
      await forwarder.stop();
      await logout?.stop();
      await store.close();
    },
  };
}
