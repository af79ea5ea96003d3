// Group commit: the writes queued within one turn of the event loop share one transaction, hence
// one fsync. Under synchronous=FULL an fsync costs milliseconds, and node:sqlite is synchronous, so
// one per write would block the event loop that long for every event and cap ingest at a few
// hundred per second. Each write still runs atomically, in its own savepoint, and its promise
// settles only after COMMIT has returned: nothing is answered before it is on disk. The batching
// is ../turn-batch.ts's.
import type { DatabaseSync } from 'node:sqlite';
import { TurnCalls, type Settled } from '../turn-batch.js';

export class GroupCommit {
  private readonly calls: TurnCalls<() => unknown, unknown>;

  constructor(
    private readonly db: DatabaseSync,
    /** Maps a failure to what the caller sees (a storage error becomes KCR_ERR_STORE_UNAVAILABLE). */
    private readonly asStoreError: (err: unknown) => unknown,
  ) {
    this.calls = new TurnCalls((works) => {
      try {
        return this.commit(works);
      } catch (err) {
        throw this.asStoreError(err);
      }
    });
  }

  run<T>(work: () => T): Promise<T> {
    return this.calls.run(work) as Promise<T>;
  }

  /** Commits everything queued so far; the store calls it before closing the database. */
  flush(): void {
    this.calls.flush();
  }

  private commit(works: ReadonlyArray<() => unknown>): Settled<unknown>[] {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const results = works.map((work) => this.isolated(work));
      this.db.exec('COMMIT');
      return results;
    } catch (err) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** One write of the batch: its failure undoes its own changes only. */
  private isolated(work: () => unknown): Settled<unknown> {
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
