// The embedded logout bus (no Redis): revocations, a bounded replay log and the once-only markers of
// back-channel logout tokens, in tables of the embedded store's database (DATA_DIR, locked to this
// process, fsynced by the same group commit), so all survive a restart; messages are handed to
// in-process subscribers (GET /logouts streams them) once committed.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { StatementSync } from 'node:sqlite';
import type { FastifyBaseLogger } from 'fastify';
import type { EmbeddedDb } from '../../backend/sqlite/embedded-db.js';
import type { LoggedMessage, LogoutBus, LogoutStream, OnceMarker, Replay } from '../bus.js';
import type { LogoutMessage } from '../message.js';
import {
  isRevokedBy,
  realmsOf,
  revocationOf,
  scopesOf,
  type Revocation,
  type RevocationClaims,
  type StoredRevocation,
} from '../revocation.js';

const TABLES = `
  CREATE TABLE revocations (
    realm TEXT NOT NULL,
    scope TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (realm, scope)
  ) WITHOUT ROWID;
  CREATE INDEX revocations_expiry ON revocations (expires_at);
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
  );
  CREATE TABLE once_markers (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/** Where relays up to 0.2 kept these tables, in a database file of their own. */
const LEGACY_FILE = 'logout.sqlite';

const STATEMENTS = {
  // As revokeAndPublish.lua: the notBefore capped at the second after now, not recorded once past its
  // expiry (it protects nothing then); the latest notBefore wins, and expires last.
  upsert: `INSERT INTO revocations (realm, scope, not_before, expires_at)
    SELECT :realm, :scope, nb, nb * 1000 + :ttl FROM (SELECT min(:notBefore, CAST(:now AS INTEGER) / 1000 + 1) AS nb)
    WHERE nb * 1000 + :ttl > :now
    ON CONFLICT (realm, scope) DO UPDATE SET not_before = excluded.not_before, expires_at = excluded.expires_at
    WHERE excluded.not_before > revocations.not_before`,
  append: 'INSERT INTO messages (id, body) VALUES (?, ?) RETURNING seq',
  trim: 'DELETE FROM messages WHERE seq <= (SELECT max(seq) FROM messages) - ?',
  expire: 'DELETE FROM revocations WHERE expires_at <= ?',
  check: `SELECT not_before FROM revocations WHERE realm IN (SELECT value FROM json_each(?))
    AND scope IN (SELECT value FROM json_each(?)) AND expires_at > ?`,
  list: `SELECT realm AS realmId, scope, not_before AS notBefore, expires_at AS expiresAt FROM revocations
    WHERE realm = ? AND expires_at > ? ORDER BY not_before DESC, scope LIMIT ?`,
  lift: 'DELETE FROM revocations WHERE realm = ? AND scope = ? AND expires_at > ? RETURNING not_before AS notBefore',
  seqOf: 'SELECT seq FROM messages WHERE id = ?',
  after: 'SELECT seq, body FROM messages WHERE seq > ? ORDER BY seq',
  all: 'SELECT seq, body FROM messages ORDER BY seq',
  // Inserts the marker, or takes over an expired one; no row changed = used and still valid.
  mark: `INSERT INTO once_markers (key, expires_at) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE once_markers.expires_at <= ?`,
  expireMarks: 'DELETE FROM once_markers WHERE expires_at <= ?',
} as const;

export interface SqliteLogoutBusOptions {
  /** The embedded store's database; the store closes it. */
  db: EmbeddedDb;
  revocationTtlMs: number;
  /** Messages kept for Last-Event-ID resume. */
  replaySize: number;
  log: FastifyBaseLogger;
}

export class SqliteLogoutBus implements LogoutBus, LogoutStream {
  private readonly db: EmbeddedDb;
  private readonly listeners = new Set<(logged: LoggedMessage) => void>();
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;

  constructor(private readonly options: SqliteLogoutBusOptions) {
    this.db = options.db;
    this.db.ensureTables('logout', 1, TABLES);
    importLegacy(this.db, options.log);
    this.sql = this.db.prepare(STATEMENTS);
  }

  async publish(messages: readonly LogoutMessage[], nowMs: number): Promise<void> {
    await this.commit(messages, nowMs, () => true);
  }

  async publishOnce(message: LogoutMessage, once: OnceMarker, nowMs: number): Promise<boolean> {
    return this.commit([message], nowMs, () => {
      this.sql.expireMarks.run(nowMs);
      return this.sql.mark.run(once.key, once.expiresAtMs, nowMs).changes > 0;
    });
  }

  /** One atomic write: `guard` (false: nothing written, nothing published), revocations, replay log; then the subscribers. */
  private async commit(messages: readonly LogoutMessage[], nowMs: number, guard: () => boolean): Promise<boolean> {
    const logged = await this.db.write((): LoggedMessage[] | null => {
      if (!guard()) return null;
      const out: LoggedMessage[] = [];
      for (const message of messages) {
        const { realmId, scope, notBefore } = revocationOf(message);
        this.sql.upsert.run({ realm: realmId, scope, notBefore, ttl: this.options.revocationTtlMs, now: nowMs });
        const { seq } = this.sql.append.get(message.id, JSON.stringify(message)) as { seq: number };
        out.push({ seq, message });
      }
      this.sql.trim.run(this.options.replaySize);
      this.sql.expire.run(nowMs);
      return out;
    });
    if (logged === null) return false;
    for (const entry of logged) {
      for (const listener of this.listeners) {
        // A subscriber's failure is its own: the messages are committed and must not be published again.
        try {
          listener(entry);
        } catch (err) {
          this.options.log.error({ err, id: entry.message.id }, 'logout subscriber failed');
        }
      }
    }
    return true;
  }

  async isRevoked(claims: RevocationClaims): Promise<boolean> {
    return this.db.read(() => {
      const rows = this.sql.check.all(JSON.stringify(realmsOf(claims)), JSON.stringify(scopesOf(claims)), Date.now()) as Array<{
        not_before: number;
      }>;
      return isRevokedBy(
        rows.map((r) => r.not_before),
        claims.iat,
      );
    });
  }

  async listRevocations(realmId: string, limit: number): Promise<StoredRevocation[]> {
    return this.db.read(() => this.sql.list.all(realmId, Date.now(), limit) as unknown as StoredRevocation[]);
  }

  async liftRevocation(realmId: string, scope: string): Promise<Revocation | null> {
    return this.db.write(() => {
      const row = this.sql.lift.get(realmId, scope, Date.now()) as { notBefore: number } | undefined;
      return row ? { realmId, scope, notBefore: row.notBefore } : null;
    });
  }

  subscribe(listener: (logged: LoggedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replay(afterId: string | null): Replay {
    if (afterId === null) return { status: 'resumed', messages: [] };
    return this.db.read(() => {
      const found = this.sql.seqOf.get(afterId) as { seq: number } | undefined;
      const rows = (found ? this.sql.after.all(found.seq) : this.sql.all.all()) as Array<{ seq: number; body: string }>;
      const messages = rows.map((r) => ({ seq: r.seq, message: JSON.parse(r.body) as LogoutMessage }));
      return { status: found ? 'resumed' : 'gap', messages };
    });
  }

  /** The database is the store's: it closes it after the bus. */
  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/**
 * Copies the tables of an older relay's DATA_DIR/logout.sqlite (revocations may still protect for
 * up to REVOCATION_TTL), then sets the file aside; copying twice after a crash between the two
 * steps is harmless (INSERT OR IGNORE).
 */
function importLegacy(db: EmbeddedDb, log: FastifyBaseLogger): void {
  const file = join(db.dataDir, LEGACY_FILE);
  if (!existsSync(file)) return;
  db.exec(`ATTACH DATABASE '${file.replaceAll("'", "''")}' AS legacy`);
  try {
    db.exec(`BEGIN IMMEDIATE;
      INSERT OR IGNORE INTO revocations SELECT realm, scope, not_before, expires_at FROM legacy.revocations;
      INSERT OR IGNORE INTO messages (id, body) SELECT id, body FROM legacy.messages ORDER BY seq;
      COMMIT;`);
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  } finally {
    db.exec('DETACH DATABASE legacy');
  }
  renameSync(file, `${file}.imported`);
  log.info({ file }, 'logout state of an older relay imported into the embedded store');
}
