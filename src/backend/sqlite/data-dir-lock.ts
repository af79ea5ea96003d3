// One process per DATA_DIR. The lock is SQLite's own: `locking_mode = EXCLUSIVE` keeps the
// database file's lock for the life of the connection, so a second process (or a second
// connection in this one) gets SQLITE_BUSY instead of writing beside us. It is a kernel file lock:
// it dies with the process, so a `kill -9` never leaves a stale lock behind, and unlike a pid file
// it cannot be fooled by pid reuse (every container's relay is pid 1).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { KCR_ERR_CONFIG } from '../../errors.js';

/** Informational only (who holds the lock, for the refusal message); never used to decide anything. */
const OWNER_FILE = 'owner';

const SQLITE_BUSY = 5;

/** Takes the lock on `db` (DATA_DIR's database), or refuses with a message naming DATA_DIR. */
export function lockDataDir(db: DatabaseSync, dataDir: string): void {
  try {
    db.exec('PRAGMA locking_mode = EXCLUSIVE');
    // An exclusive transaction takes the lock; in EXCLUSIVE locking mode it is kept after COMMIT.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    if ((err as { errcode?: number }).errcode !== SQLITE_BUSY) throw err;
    throw KCR_ERR_CONFIG(
      `- DATA_DIR: ${dataDir} is in use by another kc-event-relay process${describeOwner(dataDir)}. ` +
        'The embedded store serves one process only: stop the other one, give this one its own DATA_DIR, ' +
        'or set REDIS_URL to run several replicas.',
    );
  }
  writeFileSync(join(dataDir, OWNER_FILE), `pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}\n`);
}

/** Call before closing the database (closing releases the lock itself). */
export function forgetOwner(dataDir: string): void {
  rmSync(join(dataDir, OWNER_FILE), { force: true });
}

function describeOwner(dataDir: string): string {
  try {
    return ` (${readFileSync(join(dataDir, OWNER_FILE), 'utf8').trim()})`;
  } catch {
    return '';
  }
}
