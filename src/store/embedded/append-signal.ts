// Wakes blocked readers when an event is appended. Only this process writes to its DATA_DIR, so an
// in-process signal replaces polling: a reader sleeps until an append or its own timeout.
export class AppendSignal {
  private readonly waiters = new Set<() => void>();

  /** Resolves at the next notify(), or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waiters.add(wake);
    });
  }

  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
