// Schema migrations of DATA_DIR's database: the store's tables are versioned by PRAGMA user_version,
// each step taking a database at version v to v + 1 in one transaction with the version bump, so a
// crash mid-migration leaves the older version whole. A later layout adds a step, never edits one.
import type { DatabaseSync } from 'node:sqlite';
import { KCR_ERR_CONFIG } from '../../errors.js';

/** One step: SQL, or a function for a step that needs more than SQL text (it runs in the transaction). */
export type MigrationStep = string | ((db: DatabaseSync) => void);

/** Creates the tables in a new database, or brings an older one up to date; refuses a database written by a newer relay. */
export function migrate(db: DatabaseSync, dataDir: string, steps: readonly MigrationStep[]): void {
  const latest = steps.length;
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version === latest) return;
  if (version > latest) {
    throw KCR_ERR_CONFIG(
      `- DATA_DIR: ${dataDir} holds schema version ${version}, written by a newer kc-event-relay (this one knows ${latest})`,
    );
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    for (const step of steps.slice(version)) {
      if (typeof step === 'string') db.exec(step);
      else step(db);
    }
    db.exec(`PRAGMA user_version = ${latest}; COMMIT`);
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
