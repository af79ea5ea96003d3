// Refusals of the anonymous intakes (back-channel logout, Phase Two webhooks, SSF pushes) in the
// log: any client can cause them at the rate of requests, so one line per interval at most, with
// the details of the latest and how many came since the last line (LineBudget). Their answers carry
// a fixed description per code; what went wrong in detail (an unreachable JWKS's address, a claim's
// value) is here only.
import type { FastifyBaseLogger } from 'fastify';
import { LineBudget } from '../log.js';

export class RefusalLog {
  private readonly lines: LineBudget;

  constructor(
    private readonly message: string,
    intervalMs = 10_000,
    now?: () => number,
  ) {
    this.lines = new LineBudget(intervalMs, now);
  }

  note(log: FastifyBaseLogger, details: Record<string, unknown>): void {
    const refusals = this.lines.add();
    if (refusals !== null) log.warn({ ...details, refusals }, `${this.message} (refusals: this one and those since the last line)`);
  }
}
