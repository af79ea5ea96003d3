// Process entry point (run by the `kc-event-relay` bin, src/bin.ts): configuration, store, HTTP server,
// graceful shutdown (close-with-grace) on SIGTERM/SIGINT. With WORKERS above 1 this process is the
// supervisor (src/workers/supervisor.ts) and the same file runs in each relay process it forks.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { loadConfig, type Config } from './config/env.js';
import { KcrError } from './errors.js';
import { createLogger } from './log.js';
import { createRelay } from './relay.js';
import { Supervisor } from './workers/supervisor.js';
import { workerCount } from './workers/worker-count.js';
import { WorkerLink } from './workers/worker-link.js';
import closeWithGrace from 'close-with-grace';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`kc-event-relay: ${(err as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }

  if (cluster.isWorker) {
    const link = await WorkerLink.join();
    return serve(config, createLogger(config).child({ worker: link.index }), link);
  }
  const logger = createLogger(config);
  const { count, note } = workerCount(config, availableParallelism());
  if (note) logger.info({ workers: count }, note);
  return count === 1 ? serve(config, logger) : supervise(config, logger, count);
}

/** One relay: the whole replica, or (`link`) one of its WORKERS processes. */
async function serve(config: Config, logger: Logger, link?: WorkerLink): Promise<void> {
  const relay = await createRelay(config, { logger, ...(link ? { process: link } : {}) });
  const description = relay.storeDescription;

  // SIGTERM/SIGINT, and an uncaught error: answer in-flight requests, stop the consumers, close the
  // store, within SHUTDOWN_TIMEOUT (then exit 1 whatever is left); a second signal exits at once.
  let closing = false;
  const { close } = closeWithGrace(
    {
      delay: config.SHUTDOWN_TIMEOUT,
      logger: { error: (message: unknown) => logger.error(message instanceof Error ? { err: message } : { message }, 'shutdown') },
      onTimeout: (delay) => logger.error({ timeoutMs: delay }, 'shutdown timed out; exiting'),
      onSecondSignal: (signal) => logger.error({ signal }, 'second signal during shutdown; exiting now'),
    },
    async ({ signal, err, manual }) => {
      closing = true;
      if (err) logger.fatal({ err }, 'uncaught error; shutting down');
      else logger.info(manual ? { reason: 'supervisor' } : { signal }, 'shutting down: finishing in-flight requests');
      await relay.close();
      logger.info('stopped');
    },
  );
  // The supervisor's word is a SIGTERM (a terminal's Ctrl-C reaches every process itself: then the
  // shutdown has begun already).
  link?.whenToShutDown(() => {
    if (!closing) void close();
  });

  const port = await relay.start(config.HOST, config.PORT);
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
      ...(link ? { worker: link.index, workers: link.count } : {}),
    },
    link
      ? `relay process ${link.index} of ${link.count} ready (store: ${description})`
      : `kc-event-relay ready on ${config.HOST}:${config.PORT} (store: ${description})`,
  );
  link?.ready(port);
}

/** WORKERS above 1: this process forks and watches the relay processes, and serves nothing itself. */
async function supervise(config: Config, logger: Logger, count: number): Promise<void> {
  const supervisor = new Supervisor({ count, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT, log: logger });
  void supervisor.stopped.then((code) => {
    logger.info({ code }, 'stopped');
    process.exit(code);
  });
  // As closeWithGrace does for one relay, but the draining is the processes' own.
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.error({ signal }, 'second signal during shutdown; exiting now');
      supervisor.kill('SIGTERM');
      process.exit(1);
    }
    signalled = true;
    logger.info({ signal }, 'shutting down: every relay process finishes its in-flight requests');
    void supervisor.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught error in the supervisor; shutting down');
    void supervisor.stop(1);
  });

  // A process that fails to start stops the others; `stopped` then exits with its code.
  const port = await supervisor.start().catch(() => null);
  if (port === null) return;
  logger.info(
    { workers: count, workerPids: supervisor.pids() },
    `kc-event-relay ready on ${config.HOST}:${port} (${count} relay processes, store: Redis)`,
  );
}

main().catch((err: unknown) => {
  const message = err instanceof KcrError ? err.message : ((err as Error).stack ?? String(err));
  process.stderr.write(`kc-event-relay: ${message}\n`);
  process.exit(err instanceof KcrError && err.code === 'KCR_ERR_CONFIG' ? 78 : 1);
});
