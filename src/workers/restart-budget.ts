// The supervisor restarts a relay process that died, but not without end: a process that dies again
// and again (a bug, a poisoned dependency) would otherwise loop at full speed while looking alive
// from outside. Past the budget the whole replica stops (exit 1), so that the orchestrator sees a
// failed container and applies its own backoff, and an operator is paged.

export class RestartBudget {
  private readonly restarts: number[] = [];

  constructor(
    /** Restarts allowed within `windowMs`. */
    readonly max = 5,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one restart; false when it would exceed the budget (nothing is counted then). */
  take(): boolean {
    const at = this.now();
    while (this.restarts.length > 0 && at - this.restarts[0]! >= this.windowMs) this.restarts.shift();
    if (this.restarts.length >= this.max) return false;
    this.restarts.push(at);
    return true;
  }
}
