// DATA_DIR's database as the embedded store's parts share it: one connection, writes queued for the
// next group commit (one fsync per event-loop turn), reads at once, and every SQLite failure
// reported as KCR_ERR_STORE_UNAVAILABLE. The embedded logout bus writes through it too.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import { AppendSignal } from './append-signal.js';
import { forgetOwner } from './data-dir-lock.js';
import { GroupCommit } from './group-commit.js';
import { openDatabase } from './open-database.js';

export class EmbeddedDb {
  /** Wakes readers blocked on the ring buffer when an event is appended. */
  readonly appended = new AppendSignal();
  private readonly commits: GroupCommit;
  private closed = false;

  private constructor(
    private readonly db: DatabaseSync,
    /** Absolute DATA_DIR. */
    readonly dataDir: string,
  ) {
    this.commits = new GroupCommit(db, asStoreError);
  }

  /** Opens (creating and migrating if needed) DATA_DIR's database; refuses when another process holds it. */
  static open(dataDir: string): EmbeddedDb {
    const opened = openDatabase(dataDir);
    return new EmbeddedDb(opened.db, opened.dataDir);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Prepares each statement of `texts` once. */
  prepare<K extends string>(texts: Readonly<Record<K, string>>): Record<K, StatementSync> {
    return Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, this.db.prepare(text as string)])) as Record<K, StatementSync>;
  }

  /** Queues a write for the next group commit; it resolves once committed (fsynced). */
  write<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(KCR_ERR_STORE_UNAVAILABLE('the embedded store is closed'));
    return this.commits.run(work);
  }

  /** Reads run at once: with one connection and synchronous commits they only ever see committed data. */
  read<T>(work: () => T): T {
    if (this.closed) throw KCR_ERR_STORE_UNAVAILABLE('the embedded store is closed');
    try {
      return work();
    } catch (err) {
      throw asStoreError(err);
    }
  }

  close(): void {
    if (this.closed) return;
    this.commits.flush();
    this.closed = true;
    this.appended.notify();
    forgetOwner(this.dataDir);
    this.db.close();
  }
}

/** A storage failure (disk full, I/O error) becomes KCR_ERR_STORE_UNAVAILABLE: 503, never 200. */
function asStoreError(err: unknown): unknown {
  if ((err as { code?: string }).code !== 'ERR_SQLITE_ERROR') return err;
  return KCR_ERR_STORE_UNAVAILABLE((err as Error).message);
}

export function all<T>(statement: StatementSync, ...params: SQLInputValue[]): T[] {
  return statement.all(...params) as unknown as T[];
}

export function one<T>(statement: StatementSync, ...params: SQLInputValue[]): T | undefined {
  return statement.get(...params) as unknown as T | undefined;
}

/** Ids handed out by this store are decimal row ids; anything else is a caller's bug. */
export function positionOf(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`"${id}" is not an id of the embedded store`);
  return n;
}
