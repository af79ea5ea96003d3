// Opens DATA_DIR's database: created if absent, locked to this process, durable on every commit
// (EMBEDDED_SYNC=full, the default) or on every commit but the last second's (EMBEDDED_SYNC=normal).
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { KCR_ERR_CONFIG, KcrError } from '../../errors.js';
import { forgetOwner, lockDataDir } from './data-dir-lock.js';
import { migrate, type MigrationStep } from './migrations.js';

/** The database inside DATA_DIR (with its -wal journal beside it while open). */
export const DATABASE_FILE = 'relay.sqlite';

/** EMBEDDED_SYNC: what an accepted event survives (README, docs/benchmarks.md). */
export const EMBEDDED_SYNC_MODES = ['full', 'normal'] as const;
export type EmbeddedSync = (typeof EMBEDDED_SYNC_MODES)[number];

export interface OpenedDatabase {
  db: DatabaseSync;
  /** DATA_DIR, absolute: what messages name. */
  dataDir: string;
  /** The synchronous mode SQLite reports for the connection, read back after setting it. */
  sync: EmbeddedSync;
}

// PRAGMA synchronous reads back as a number: 1 NORMAL, 2 FULL.
const SYNC_LEVELS: Record<EmbeddedSync, number> = { normal: 1, full: 2 };

/** `steps`: the schema's migrations (./migrations.ts), run once the lock is held. */
export function openDatabase(dataDirSetting: string, sync: EmbeddedSync, steps: readonly MigrationStep[]): OpenedDatabase {
  const dataDir = resolve(dataDirSetting);
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw KCR_ERR_CONFIG(`- DATA_DIR: cannot create ${dataDir} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const file = join(dataDir, DATABASE_FILE);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file);
  } catch (err) {
    throw cannotUse(file, err);
  }
  let locked = false;
  try {
    lockDataDir(db, dataDir);
    locked = true;
    // 200 means "durably stored". WAL makes each commit one sequential append (no rewrite of pages
    // in place); synchronous=FULL fsyncs that append before COMMIT returns: the `appendfsync always`
    // of this store, and the default. NORMAL fsyncs at checkpoints only: a commit is in the OS's page
    // cache when COMMIT returns, so it survives `kill -9` and any crash of the relay, but not a power
    // loss or kernel crash of the host (the last commits are lost, as with Redis' `appendfsync
    // everysec`), which the emitter could not know about. Group commit (./group-commit.ts) shares
    // one fsync among concurrent writes; docs/benchmarks.md measures both modes.
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode !== 'wal') throw new Error(`cannot use WAL journaling in ${dataDir} (got ${mode})`);
    db.exec(`PRAGMA synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    const { synchronous } = db.prepare('PRAGMA synchronous').get() as { synchronous: number };
    if (synchronous !== SYNC_LEVELS[sync]) throw new Error(`SQLite did not take synchronous=${sync} (reads ${synchronous})`);
    migrate(db, dataDir, steps);
  } catch (err) {
    if (locked) forgetOwner(dataDir);
    db.close();
    throw err instanceof KcrError ? err : cannotUse(file, err);
  }
  return { db, dataDir, sync };
}

/** Start-up failures name DATA_DIR (exit 78) rather than surfacing as a stack trace. */
function cannotUse(file: string, err: unknown): KcrError {
  return KCR_ERR_CONFIG(`- DATA_DIR: cannot use ${file}: ${(err as Error).message}`);
}
