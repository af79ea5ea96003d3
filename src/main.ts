// Process entry point: configuration, store, HTTP server, graceful shutdown on SIGTERM/SIGINT.
import { loadConfig, type Config } from './config/env.js';
import { KcrError } from './errors.js';
import { UidAssigner } from './event/snowflake.js';
import { Forwarder } from './forward/forwarder.js';
import { ReplayJobs } from './forward/replay.js';
import { buildApp } from './http/server.js';
import { createLogger } from './log.js';
import { LogoutService } from './logout/service.js';
import { Metrics } from './metrics/metrics.js';
import { createStore } from './store/create-store.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`kc-event-relay: ${(err as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }

  const logger = createLogger(config);
  const { store, description } = await createStore(config, logger);
  const health = { shuttingDown: false };
  const uids = new UidAssigner({ workerId: config.RELAY_WORKER_ID });
  const metrics = new Metrics();
  const forwarder = new Forwarder({
    destinations: config.DESTINATIONS,
    store,
    registry: metrics.registry,
    log: logger,
    claimIdleMs: config.FORWARD_CLAIM_IDLE,
  });
  const jobs = new ReplayJobs(store);
  const logout = new LogoutService({ config, store, registry: metrics.registry, log: logger });
  const app = buildApp({ config, store, metrics, logger, assignUid: () => uids.next(), health, forwarding: { forwarder, jobs }, logout });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    health.shuttingDown = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT);
    timer.unref();
    await app.close();
    await forwarder.stop();
    await logout.stop();
    await store.close();
    app.log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.HOST, port: config.PORT });
  await forwarder.start();
  logout.start();
  app.log.info(
    {
      store: description,
      flatbuffersSchema: config.FLATBUFFERS_SCHEMA,
      invalidPayload: config.INVALID_PAYLOAD,
      bufferCapacity: config.BUFFER_CAPACITY,
      bufferOverflow: config.BUFFER_OVERFLOW,
      admin: config.ADMIN_TOKEN ? 'on' : 'off',
      destinations: config.DESTINATIONS.map((d) => d.name),
    },
    `kc-event-relay ready on ${config.HOST}:${config.PORT} (store: ${description})`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof KcrError ? err.message : (err as Error).stack ?? String(err);
  process.stderr.write(`kc-event-relay: ${message}\n`);
  process.exit(err instanceof KcrError && err.code === 'KCR_ERR_CONFIG' ? 78 : 1);
});
