// Group commit: the writes queued within one turn of the event loop share one transaction, hence
// one fsync. Under synchronous=FULL an fsync costs milliseconds, and node:sqlite is synchronous, so
// one per write would block the event loop that long for every event and cap ingest at a few
// hundred per second. Each write still runs atomically, in its own savepoint, and its promise
// settles only after COMMIT has returned: nothing is answered before it is on disk.
import type { DatabaseSync } from 'node:sqlite';

interface Queued {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Result = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private queue: Queued[] = [];

  constructor(
    private readonly db: DatabaseSync,
    /** Maps a failure to what the caller sees (a storage error becomes KCR_ERR_STORE_UNAVAILABLE). */
    private readonly asStoreError: (err: unknown) => unknown,
  ) {}

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject }) === 1;
      if (first) setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued so far; the store calls it before closing the database. */
  flush(): void {
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let results: Result[];
    try {
      results = this.commit(batch);
    } catch (err) {
      const error = this.asStoreError(err);
      for (const { reject } of batch) reject(error);
      return;
    }
    batch.forEach(({ resolve, reject }, i) => {
      const result = results[i] as Result;
      if (result.ok) resolve(result.value);
      else reject(result.error);
    });
  }

  private commit(batch: Queued[]): Result[] {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const results = batch.map(({ work }) => this.isolated(work));
      this.db.exec('COMMIT');
      return results;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** One write of the batch: its failure undoes its own changes only. */
  private isolated(work: () => unknown): Result {
    this.db.exec('SAVEPOINT write');
    try {
      const value = work();
      this.db.exec('RELEASE write');
      return { ok: true, value };
    } catch (error) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then no write of the batch stands.
      if (!this.db.isTransaction) throw error;
      this.db.exec('ROLLBACK TO write; RELEASE write');
      return { ok: false, error: this.asStoreError(error) };
    }
  }
}
