// DATA_DIR's database as the embedded store's parts and the embedded logout bus share it: one
// connection, writes queued for the next group commit (one fsync per event-loop turn), reads at
// once, and every SQLite failure reported as KCR_ERR_STORE_UNAVAILABLE.
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { KCR_ERR_CONFIG, KCR_ERR_STORE_UNAVAILABLE } from '../../errors.js';
import { forgetOwner } from './data-dir-lock.js';
import { GroupCommit } from './group-commit.js';
import type { MigrationStep } from './migrations.js';
import { openDatabase, type EmbeddedSync } from './open-database.js';

export class EmbeddedDb {
  private readonly commits: GroupCommit;
  private closed = false;

  private constructor(
    private readonly db: DatabaseSync,
    /** Absolute DATA_DIR. */
    readonly dataDir: string,
    /** EMBEDDED_SYNC as SQLite applied it. */
    readonly sync: EmbeddedSync,
  ) {
    this.commits = new GroupCommit(db, asStoreError);
  }

  /** Opens (creating and migrating by `steps` if needed) DATA_DIR's database; refuses when another process holds it. */
  static open(dataDir: string, sync: EmbeddedSync, steps: readonly MigrationStep[]): EmbeddedDb {
    const opened = openDatabase(dataDir, sync, steps);
    return new EmbeddedDb(opened.db, opened.dataDir, opened.sync);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Prepares each statement of `texts` once. */
  prepare<K extends string>(texts: Readonly<Record<K, string>>): Record<K, StatementSync> {
    return Object.fromEntries(Object.entries(texts).map(([name, text]) => [name, this.db.prepare(text as string)])) as Record<
      K,
      StatementSync
    >;
  }

  /**
   * Creates the tables of another stage in this database, once: `owner` names the stage, `version`
   * its layout (a later layout adds a step, never edits one). Refuses a layout written by a newer
   * relay, as the store's own migration (./migrations.ts) does.
   */
  ensureTables(owner: string, version: number, ddl: string): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS table_owners (owner TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID');
    const found = this.db.prepare('SELECT version FROM table_owners WHERE owner = ?').get(owner) as { version: number } | undefined;
    if (found?.version === version) return;
    if (found) {
      throw KCR_ERR_CONFIG(
        `- DATA_DIR: ${this.dataDir} holds ${owner} tables of version ${found.version}; this kc-event-relay knows ${version}`,
      );
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.exec(ddl);
      this.db.prepare('INSERT INTO table_owners (owner, version) VALUES (?, ?)').run(owner, version);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Runs `sql` at once, outside any group commit: for set-up steps at start-up only. */
  exec(sql: string): void {
    this.db.exec(sql);
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

/**
 * The rows of `page` (`… WHERE id > ? ORDER BY id LIMIT ?`), oldest first, a page at a time: what a
 * bound walks to find what it must push out, stopping (breaking out) as soon as it has enough.
 */
export function* oldestRows<R extends { id: number }>(page: StatementSync, pageSize: number): Generator<R> {
  let after = 0;
  for (;;) {
    const rows = all<R>(page, after, pageSize);
    yield* rows;
    if (rows.length < pageSize) return;
    after = (rows.at(-1) as R).id;
  }
}

/** Ids handed out by this store are decimal row ids; anything else is a caller's bug. */
export function positionOf(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`"${id}" is not an id of the embedded store`);
  return n;
}
