// Process entry point: configuration, store, HTTP server, graceful shutdown on SIGTERM/SIGINT.
import { loadConfig, type Config } from './config/env.js';
import { KcrError } from './errors.js';
import { createLogger } from './log.js';
import { createRelay } from './relay.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`kc-event-relay: ${(err as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }

  const logger = createLogger(config);
  const relay = await createRelay(config, { logger });
  const description = relay.storeDescription;

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT);
    timer.unref();
    await relay.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await relay.start(config.HOST, config.PORT);
  logger.info(
    {
      store: description,
      decoding: relay.senders.describe(),
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
