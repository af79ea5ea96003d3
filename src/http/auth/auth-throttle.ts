// Repeated authentication failures from one address are answered 429 for the rest of a window:
// a guessing client is slowed down without touching the store. Counters live in memory per replica
// (a load balancer spreads a guesser over replicas, multiplying its budget by their number at most).

interface Window {
  startedAt: number;
  failures: number;
}

export class AuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    /** Bound on tracked addresses, so that a spray of sources cannot grow memory without limit. */
    private readonly maxTracked = 100_000,
  ) {}

  /** Seconds until `address` may try again, or 0 when it is not throttled. */
  retryAfterSeconds(address: string, nowMs: number): number {
    const w = this.current(address, nowMs);
    if (!w || w.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - nowMs) / 1000));
  }

  recordFailure(address: string, nowMs: number): void {
    const w = this.current(address, nowMs);
    if (w) {
      w.failures += 1;
      return;
    }
    if (this.windows.size >= this.maxTracked) this.evictExpired(nowMs);
    if (this.windows.size >= this.maxTracked) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    this.windows.set(address, { startedAt: nowMs, failures: 1 });
  }

  /** A successful authentication clears the address's record. */
  recordSuccess(address: string): void {
    this.windows.delete(address);
  }

  private current(address: string, nowMs: number): Window | undefined {
    const w = this.windows.get(address);
    if (w && nowMs - w.startedAt >= this.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return w;
  }

  private evictExpired(nowMs: number): void {
    for (const [address, w] of this.windows) {
      if (nowMs - w.startedAt >= this.windowMs) this.windows.delete(address);
    }
  }
}
