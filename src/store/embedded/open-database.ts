// Opens DATA_DIR's database: created if absent, locked to this process, durable on every commit.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { KCR_ERR_CONFIG, KcrError } from '../../errors.js';
import { forgetOwner, lockDataDir } from './data-dir-lock.js';
import { migrate } from './schema.js';

/** The database inside DATA_DIR (with its -wal journal beside it while open). */
export const DATABASE_FILE = 'relay.sqlite';

export interface OpenedDatabase {
  db: DatabaseSync;
  /** DATA_DIR, absolute: what messages name. */
  dataDir: string;
}

export function openDatabase(dataDirSetting: string): OpenedDatabase {
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
    // in place); synchronous=FULL fsyncs that append before COMMIT returns. NORMAL would already
    // survive `kill -9` (the written WAL is in the OS's page cache), but not a power loss or kernel
    // crash of the host, which the emitter could not know about: FULL is the `appendfsync always`
    // of this store. Group commit (./group-commit.ts) shares one fsync among concurrent writes;
    // the ingest benchmark (docs/benchmarks.md) measures what is left of the cost.
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode !== 'wal') throw new Error(`cannot use WAL journaling in ${dataDir} (got ${mode})`);
    db.exec('PRAGMA synchronous = FULL');
    migrate(db, dataDir);
  } catch (err) {
    if (locked) forgetOwner(dataDir);
    db.close();
    throw err instanceof KcrError ? err : cannotUse(file, err);
  }
  return { db, dataDir };
}

/** Start-up failures name DATA_DIR (exit 78) rather than surfacing as a stack trace. */
function cannotUse(file: string, err: unknown): KcrError {
  return KCR_ERR_CONFIG(`- DATA_DIR: cannot use ${file}: ${(err as Error).message}`);
}
