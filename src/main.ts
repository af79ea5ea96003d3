// Process entry point (run by the `kc-event-relay` bin, src/bin.ts): configuration, store, HTTP server,
// graceful shutdown (close-with-grace) on SIGTERM/SIGINT.
import { loadConfig, type Config } from './config/env.js';
import { KcrError } from './errors.js';
import { createLogger } from './log.js';
import { createRelay } from './relay.js';
import closeWithGrace from 'close-with-grace';

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

  // SIGTERM/SIGINT, and an uncaught error: answer in-flight requests, stop the consumers, close the
  // store, within SHUTDOWN_TIMEOUT (then exit 1 whatever is left); a second signal exits at once.
  closeWithGrace(
    {
      delay: config.SHUTDOWN_TIMEOUT,
      logger: { error: (message: unknown) => logger.error(message instanceof Error ? { err: message } : { message }, 'shutdown') },
      onTimeout: (delay) => logger.error({ timeoutMs: delay }, 'shutdown timed out; exiting'),
      onSecondSignal: (signal) => logger.error({ signal }, 'second signal during shutdown; exiting now'),
    },
    async ({ signal, err }) => {
      if (err) logger.fatal({ err }, 'uncaught error; shutting down');
      else logger.info({ signal }, 'shutting down: finishing in-flight requests');
      await relay.close();
      logger.info('stopped');
    },
  );

  await relay.start(config.HOST, config.PORT);
  logger.info(
    {
      store: description,
      decoding: relay.senders.describe(),
      invalidPayload: config.INVALID_PAYLOAD,
      bufferCapacity: config.BUFFER_CAPACITY,
      bufferMaxBytes: config.BUFFER_MAX_BYTES,
      bufferOverflow: config.BUFFER_OVERFLOW,
      admin: config.ADMIN_TOKEN ? 'on' : 'off',
      destinations: config.DESTINATIONS.map((d) => d.name),
    },
    `kc-event-relay ready on ${config.HOST}:${config.PORT} (store: ${description})`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof KcrError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`kc-event-relay: ${message}\n`);
  process.exit(err instanceof KcrError && err.code === 'KCR_ERR_CONFIG' ? 78 : 1);
});
