// Wakes readers waiting in this process when it appends an event. The embedded store's readers wait
// on it alone (only this process writes to its DATA_DIR): it replaces polling. The Redis store's
// logout group uses it to hear at once of the session-ending events this replica appends.
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
