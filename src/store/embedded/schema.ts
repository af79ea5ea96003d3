// The embedded store's tables: the SQLite counterpart of docs/key-layout.md's Redis keys.
import type { DatabaseSync } from 'node:sqlite';
import { KCR_ERR_CONFIG } from '../../errors.js';

/** PRAGMA user_version of the layout below; a later layout adds a step, never edits an earlier one. */
const SCHEMA_VERSION = 3;

const SCHEMA_V1 = `
-- The ring buffer. AUTOINCREMENT: ids are never reused, even after the newest entry is gone, so
-- a consumer's last-delivered id keeps its meaning. Entries leave only from the oldest end, so the
-- ids in the table are always one contiguous range.
CREATE TABLE events (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  uid   TEXT NOT NULL,
  event TEXT NOT NULL
);

-- Dedup: the uids of one hour of snowflake time (one Redis hash seen:<hour>) expire as a whole.
-- A bucket that expired and receives a uid again starts a new generation, so that rows of the old
-- one, not yet purged, can never be mistaken for uids seen in the new one.
CREATE TABLE seen_buckets (
  bucket     INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  expire_at  INTEGER NOT NULL,
  PRIMARY KEY (bucket, generation)
) WITHOUT ROWID;
CREATE INDEX seen_buckets_by_expiry ON seen_buckets (expire_at);

-- uid -> its entry in the ring buffer (still present after the entry is evicted: lookups answer "evicted").
CREATE TABLE seen (
  uid        TEXT PRIMARY KEY,
  bucket     INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  entry_id   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_by_bucket ON seen (bucket, generation);

-- evicted and lost:<group> counters, as in the Redis stats hash.
CREATE TABLE stats (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE consumer_groups (
  name           TEXT PRIMARY KEY,
  last_delivered INTEGER NOT NULL
) WITHOUT ROWID;

-- Handed out, not yet acknowledged (a Redis stream's pending entries list).
CREATE TABLE pending (
  grp          TEXT NOT NULL,
  entry_id     INTEGER NOT NULL,
  consumer     TEXT NOT NULL,
  deliveries   INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL,
  PRIMARY KEY (grp, entry_id)
) WITHOUT ROWID;
CREATE INDEX pending_by_entry ON pending (entry_id);

CREATE TABLE dead_letters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  grp         TEXT NOT NULL,
  event       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  last_status INTEGER,
  last_error  TEXT NOT NULL,
  dead_at     TEXT NOT NULL
);
CREATE INDEX dead_letters_by_group ON dead_letters (grp, id);

CREATE TABLE quarantine (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  node           TEXT NOT NULL,
  received_at    TEXT NOT NULL,
  remote_address TEXT NOT NULL,
  error_code     TEXT NOT NULL,
  error_message  TEXT NOT NULL,
  body           BLOB NOT NULL
);
`;

// Whether the event ends sessions (1), not (0), or unknown (NULL: stored before version 2), as the
// `logout` field of a Redis stream entry: the logout group reads only rows not 0, through the
// partial index, never the others.
const SCHEMA_V2 = `
ALTER TABLE events ADD COLUMN ends_sessions INTEGER;
CREATE INDEX events_ending_sessions ON events (id) WHERE ends_sessions IS NOT 0;
`;

// The byte bounds (BUFFER_MAX_BYTES, QUARANTINE_MAX_BYTES): the bytes the ring buffer (event JSON)
// and the quarantine (bodies as received) hold, as stats counters that every append, eviction and
// quarantine keeps current in the same transaction; counted here once for what an older relay stored.
// Replay and redrive jobs, kept so that they outlive the process: `data` is the runner's (spec,
// progress, checkpoint), `owner` and `lease_until` say which process runs it until when.
const SCHEMA_V3 = `
INSERT OR REPLACE INTO stats (name, value) SELECT 'bytes', coalesce(sum(octet_length(event)), 0) FROM events;
INSERT OR REPLACE INTO stats (name, value) SELECT 'quarantineBytes', coalesce(sum(length(body)), 0) FROM quarantine;
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  data        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  running     INTEGER NOT NULL,
  finished_at INTEGER
) WITHOUT ROWID;
CREATE INDEX jobs_running ON jobs (id) WHERE running = 1;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE running = 0;
`;

/** The steps from each version to the next: STEPS[v] takes a database at version v to v + 1. */
const STEPS = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3];

/** Creates the tables in a new database, or brings an older one up to date; refuses a database written by a newer relay. */
export function migrate(db: DatabaseSync, dataDir: string): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as { user_version: number };
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION) {
    throw KCR_ERR_CONFIG(
      `- DATA_DIR: ${dataDir} holds schema version ${version}, written by a newer kc-event-relay (this one knows ${SCHEMA_VERSION})`,
    );
  }
  db.exec(`BEGIN IMMEDIATE; ${STEPS.slice(version).join('\n')} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT`);
}
