// Wakes readers waiting in this process when it appends an event. The embedded store's readers wait
// on it alone (only this process writes to its DATA_DIR): it replaces polling. The Redis store's
// groups created `only` for a tag use it to hear at once of the entries with it this replica appends.
import type { Tags } from './tags.js';

export class AppendSignal {
  private readonly waiters = new Set<() => void>();
  private notified = 0;

  /**
   * How many times it was notified so far: taken before a read, then given to wait(), so that an
   * append that landed during the read is not slept through.
   */
  get count(): number {
    return this.notified;
  }

  /** Resolves at the next notify(), or after `ms`; at once when notified since count read `since`. */
  wait(ms: number, since?: number): Promise<void> {
    if (since !== undefined && since !== this.notified) return Promise.resolve();
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
    this.notified += 1;
    if (this.waiters.size === 0) return;
    for (const wake of [...this.waiters]) wake();
  }
}

/** A signal for any append, and one per tag that a group reads `only`. */
export class AppendSignals {
  readonly any = new AppendSignal();
  private readonly byTag = new Map<string, AppendSignal>();

  tagged(tag: string): AppendSignal {
    let signal = this.byTag.get(tag);
    if (!signal) {
      signal = new AppendSignal();
      this.byTag.set(tag, signal);
    }
    return signal;
  }

  /** After an entry was appended with `tags` (undefined: none known, so every tag's readers are handed it). */
  appended(tags: Tags | undefined): void {
    this.any.notify();
    for (const [tag, signal] of this.byTag) if (tags?.[tag] !== false) signal.notify();
  }

  /** Wakes every reader (the store closes). */
  all(): void {
    this.any.notify();
    for (const signal of this.byTag.values()) signal.notify();
  }
}
