// The process's one pino logger, shared by the HTTP server and the background workers.
import { pino, type Logger } from 'pino';

/** LOG_LEVEL as the configuration names it: pino's levels, or silent. */
export function createLogger(config: { LOG_LEVEL: string }, stream?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      // Credentials never reach the logs, whatever a serializer or a debug line includes.
      redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', 'secret'], censor: '[redacted]' },
    },
    stream ?? process.stdout,
  );
}

/**
 * At most one log line per interval for a warning that can repeat at the rate of requests or
 * reconnects: `add(n)` counts n occurrences and, when a line is due, returns how many occurred since
 * the last line (this one included); otherwise null.
 */
export class LineBudget {
  private lastLine = -Infinity;
  private unreported = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  add(n = 1): number | null {
    this.unreported += n;
    const at = this.now();
    if (at - this.lastLine < this.intervalMs) return null;
    const total = this.unreported;
    this.lastLine = at;
    this.unreported = 0;
    return total;
  }
}
