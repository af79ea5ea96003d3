// A per-destination circuit breaker: after `threshold` consecutive failures the destination is
// "open" and gets no traffic until a cool-down passes; then one probe at a time ("half-open").
// A success closes it; a failed probe re-opens it with a doubled cool-down. An outage therefore
// costs one request per cool-down, not one per buffered event.

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold: number;
  coolDownMs: number;
  maxCoolDownMs: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private coolDown: number;
  private probing = false;
  private opened = false;

  constructor(private readonly options: BreakerOptions) {
    this.coolDown = options.coolDownMs;
  }

  state(nowMs: number): CircuitState {
    if (!this.opened) return 'closed';
    return nowMs < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go out now; in half-open, only one (the probe) until its result is known. */
  tryAcquire(nowMs: number): boolean {
    const state = this.state(nowMs);
    if (state === 'closed') return true;
    if (state === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until a request may be tried (0 when closed). */
  waitMs(nowMs: number): number {
    return this.opened ? Math.max(0, this.openUntil - nowMs) : 0;
  }

  success(): void {
    this.failures = 0;
    this.opened = false;
    this.probing = false;
    this.coolDown = this.options.coolDownMs;
  }

  /** `retryAfterMs` from the destination, when given, sets the cool-down. */
  failure(nowMs: number, retryAfterMs: number | null = null): void {
    this.failures += 1;
    const wasProbe = this.probing;
    this.probing = false;
    if (wasProbe || (!this.opened && this.failures >= this.options.threshold)) {
      if (wasProbe) this.coolDown = Math.min(this.coolDown * 2, this.options.maxCoolDownMs);
      this.opened = true;
      this.openUntil = nowMs + (retryAfterMs ?? this.coolDown);
    }
  }
}
