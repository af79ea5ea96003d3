// The embedded store's tables: the SQLite counterpart of docs/key-layout.md's Redis keys.
// Run by ../../backend/sqlite/migrations.ts: PRAGMA user_version is the number of steps taken.
import type { DatabaseSync } from 'node:sqlite';
import type { MigrationStep } from '../../backend/sqlite/migrations.js';
import type { Tagging } from '../tags.js';

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

// The one tag of relays before tags (Tagging.legacy): 1, 0, or unknown (NULL: stored before version 2), read
// by its one filtered group through the partial index. Version 5 makes it a tag like any other.
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

// Catch-up sources (KEYCLOAK_SOURCES): which process polls each until when (the lease replay jobs
// also follow), and its poller's parts: each list's checkpoint, the last poll's outcome.
const SCHEMA_V4 = `
CREATE TABLE sources (
  name        TEXT PRIMARY KEY,
  owner       TEXT NOT NULL,
  lease_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE source_parts (
  name TEXT NOT NULL,
  part TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (name, part)
) WITHOUT ROWID;
`;

/**
 * Tags (../tags.ts) as encodeTags writes them, NULL when none are known; each group's `only` tag.
 * The column of relays before tags becomes its tag, and its filtered group keeps reading by it.
 */
function schemaV5(legacy: Tagging['legacy']): MigrationStep {
  return (db: DatabaseSync) => {
    db.exec('ALTER TABLE events ADD COLUMN tags TEXT; ALTER TABLE consumer_groups ADD COLUMN only_tag TEXT');
    if (legacy) {
      db.prepare(`UPDATE events SET tags = ',' || ? || '=' || ends_sessions || ',' WHERE ends_sessions IS NOT NULL`).run(legacy.tag);
      db.prepare('UPDATE consumer_groups SET only_tag = ? WHERE name = ?').run(legacy.tag, legacy.group);
    }
    db.exec('DROP INDEX events_ending_sessions; ALTER TABLE events DROP COLUMN ends_sessions');
  };
}

/** The steps from each version to the next: steps[v] takes a database at version v to v + 1. */
export function storeSchema(legacy?: Tagging['legacy']): MigrationStep[] {
  return [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, schemaV5(legacy)];
}
