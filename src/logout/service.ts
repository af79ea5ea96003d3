// Cluster logout, assembled on the backend the relay runs on (src/store/create-store.ts decides): the
// bus (Redis pub/sub and revocation keys, or the embedded database and SSE) and the publisher
// feeding it from the ring buffer.
import type { FastifyBaseLogger } from 'fastify';
import type { Counter, Registry } from 'prom-client';
import { UidAssigner } from '../event/snowflake.js';
import { logConnectionErrors, waitReady } from '../backend/redis/connect.js';
import type { Backend } from '../backend/backend.js';
import type { ConsumerStore } from '../store/event-store.js';
import type { LogoutBus, LogoutStream } from './bus.js';
import { SqliteLogoutBus } from './embedded/sqlite-bus.js';
import { LOGOUT_GROUP } from './group.js';
import { LogoutMetrics } from './metrics.js';
import { LogoutPublisher, type LogoutPublisherOptions } from './publisher.js';
import { RecentLogouts } from './recent.js';
import { RedisLogoutBus } from './redis/redis-bus.js';
import type { TranslateOptions } from './translate.js';

/** The settings the logout service reads (named as in the configuration, which the edges pass). */
export interface LogoutSettings {
  KEY_PREFIX: string;
  REVOCATION_TTL: number;
  LOGOUT_REPLAY_SIZE: number;
  RELAY_WORKER_ID: number;
  SSF_CREDENTIAL_CHANGE: TranslateOptions['credentialChange'];
}

export interface LogoutServiceDeps {
  config: LogoutSettings;
  /** Which of the replica's relay processes this is (WORKERS): its bits in message ids. */
  processIndex?: number;
  store: ConsumerStore;
  /** Where the store lives: the bus keeps its state there too. */
  backend: Backend;
  registry: Registry;
  log: FastifyBaseLogger;
  /** kcr_buffer_lost_total, shared with ingest and the forwarder. */
  lost: Counter<'destination'>;
  /** Publisher tuning: consumer name, and (tests) claim idle time, block time. */
  publisher: Pick<LogoutPublisherOptions, 'consumer'> & Partial<Pick<LogoutPublisherOptions, 'claimIdleMs' | 'blockMs'>>;
}

export class LogoutService {
  readonly bus: LogoutBus;
  /** Set in embedded mode: what GET /logouts streams. */
  readonly stream: LogoutStream | null;
  /** Message ids, shared by every publisher of this process (one snowflake sequence per worker id). */
  readonly nextId: () => bigint;
  /** What this process published lately (GET /admin/logouts/recent). */
  readonly recent = new RecentLogouts();
  private readonly publisher: LogoutPublisher;
  /** Settles once the bus's own connection is open (or gave up waiting); see ready(). */
  private readonly connected: Promise<unknown>;

  constructor(deps: LogoutServiceDeps) {
    const { config, store, log, backend } = deps;
    if (backend.kind === 'redis') {
      // A connection of its own: publishing never queues behind ingest or blocking reads.
      const client = backend.connect();
      logConnectionErrors(client, log);
      this.connected = waitReady(client, 5_000);
      this.bus = this.recent.recording(new RedisLogoutBus(client, config.KEY_PREFIX, config.REVOCATION_TTL));
      this.stream = null;
    } else {
      const embedded = new SqliteLogoutBus({
        db: backend.db,
        revocationTtlMs: config.REVOCATION_TTL,
        replaySize: config.LOGOUT_REPLAY_SIZE,
        log,
      });
      this.bus = this.recent.recording(embedded);
      this.stream = embedded;
      this.connected = Promise.resolve();
    }
    const metrics = new LogoutMetrics(
      deps.registry,
      deps.lost,
      async () => (await store.groupState(LOGOUT_GROUP).catch(() => null))?.lag ?? null,
    );
    // RELAY_WORKER_ID already tells replicas apart, and the process index a replica's processes;
    // message ids are a namespace apart from event uids.
    const ids = new UidAssigner({ workerId: config.RELAY_WORKER_ID, processIndex: deps.processIndex ?? 0 });
    this.nextId = () => ids.next();
    this.publisher = new LogoutPublisher({
      store,
      bus: this.bus,
      nextId: this.nextId,
      metrics,
      log,
      translate: { credentialChange: config.SSF_CREDENTIAL_CHANGE },
      ...deps.publisher,
    });
  }

  /**
   * Resolves once the bus's connection is open, or after 5 s without it (the relay starts either
   * way, as with the store). Commands fail at once while it opens (no offline queue), so the relay
   * awaits this before it listens: a back-channel logout or an SSF push arriving first would be
   * refused as if Redis were down.
   */
  async ready(): Promise<void> {
    await this.connected;
  }

  start(): void {
    this.publisher.start();
  }

  /** Stops publishing (entries in flight finish), then closes the bus; the store is the caller's. */
  async stop(): Promise<void> {
    await this.publisher.stop();
    await this.bus.close();
  }
}
