// The process's one pino logger, shared by the HTTP server and the background workers.
import { pino, type Logger } from 'pino';
import type { Config } from './config/env.js';

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, stream?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      // Credentials never reach the logs, whatever a serializer or a debug line includes.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'secret'], censor: '[redacted]' },
    },
    stream ?? process.stdout,
  );
}
