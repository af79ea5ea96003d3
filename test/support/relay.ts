// Starts a relay on a loopback port against a real store, for tests that talk HTTP to it.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config/env.js';
import { UidAssigner } from '../../src/event/snowflake.js';
import { Forwarder } from '../../src/forward/forwarder.js';
import { ReplayJobs } from '../../src/forward/replay.js';
import { buildApp } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { LogoutService } from '../../src/logout/service.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { createStore } from '../../src/store/create-store.js';
import type { EventStore } from '../../src/store/event-store.js';

export const SECRET = 'test-secret-Zq81';
export const NODE = 'kc-node-1';
export const ADMIN_TOKEN = 'admin-token-0123456789';

export interface Relay {
  url: string;
  config: Config;
  store: EventStore;
  app: FastifyInstance;
  metrics: Metrics;
  forwarder: Forwarder;
  /** Running when started with `logout: true`. */
  logout: LogoutService | null;
  /** Every log line the relay wrote, raw. */
  logs: string[];
  close(): Promise<void>;
}

export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}:`;
}

/** A relay as main.ts builds it; its forwarder runs when DESTINATIONS is given. */
export async function startRelay(env: Record<string, string>, options: { consumer?: string; logout?: boolean } = {}): Promise<Relay> {
  const config = loadConfig({
    AUTH_SECRET: SECRET,
    ADMIN_TOKEN,
    KEY_PREFIX: uniquePrefix(),
    LOG_LEVEL: 'debug',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  const logs: string[] = [];
  // Capture the logger's output to assert on what operators would see (and never see).
  const logger = createLogger(
    config,
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const { store } = await createStore(config, logger);
  const metrics = new Metrics();
  const uids = new UidAssigner({ workerId: 1 });
  const forwarder = new Forwarder({
    destinations: config.DESTINATIONS,
    store,
    registry: metrics.registry,
    log: logger,
    claimIdleMs: config.FORWARD_CLAIM_IDLE,
    blockMs: 200,
    ...(options.consumer ? { consumer: options.consumer } : {}),
  });
  const logout = options.logout
    ? new LogoutService({
        config,
        store,
        registry: metrics.registry,
        log: logger,
        publisher: { blockMs: 200, ...(options.consumer ? { consumer: options.consumer } : {}) },
      })
    : null;
  const app = buildApp({
    config,
    store,
    metrics,
    logger,
    assignUid: () => uids.next(),
    forwarding: { forwarder, jobs: new ReplayJobs(store) },
    ...(logout ? { logout } : {}),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  await forwarder.start();
  logout?.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    store,
    app,
    metrics,
    forwarder,
    logout,
    logs,
    close: async () => {
      await app.close();
      await forwarder.stop();
      await logout?.stop();
      await store.close();
    },
  };
}
