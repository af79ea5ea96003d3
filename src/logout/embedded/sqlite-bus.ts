// The embedded logout bus (no Redis): revocations, a bounded replay log and the once-only markers of
// back-channel logout tokens in DATA_DIR/logout.sqlite, so all survive a restart, and messages
// handed to in-process subscribers (GET /logouts streams them). A file of its own beside the
// embedded store's: the two evolve without shared migrations.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { FastifyBaseLogger } from 'fastify';
import type { LoggedMessage, LogoutBus, LogoutStream, OnceMarker, Replay } from '../bus.js';
import type { LogoutMessage } from '../message.js';
import { isRevokedBy, realmsOf, revocationOf, scopesOf, type RevocationClaims } from '../revocation.js';

const LOGOUT_DATABASE_FILE = 'logout.sqlite';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS revocations (
    realm TEXT NOT NULL,
    scope TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (realm, scope)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS revocations_expiry ON revocations (expires_at);
  CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS once_markers (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

export interface SqliteLogoutBusOptions {
  dataDir: string;
  revocationTtlMs: number;
  /** Messages kept for Last-Event-ID resume. */
  replaySize: number;
  log: FastifyBaseLogger;
}

export class SqliteLogoutBus implements LogoutBus, LogoutStream {
  private readonly db: DatabaseSync;
  private readonly listeners = new Set<(logged: LoggedMessage) => void>();
  private readonly sql: Record<
    'upsert' | 'append' | 'trim' | 'expire' | 'check' | 'seqOf' | 'after' | 'all' | 'mark' | 'expireMarks',
    StatementSync
  >;

  constructor(private readonly options: SqliteLogoutBusOptions) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    this.db = new DatabaseSync(join(dir, LOGOUT_DATABASE_FILE));
    // As the embedded event store: a committed revocation survives a power loss.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    this.db.exec(SCHEMA);
    this.sql = {
      // The latest notBefore wins, and expires last.
      upsert: this.db.prepare(
        `INSERT INTO revocations (realm, scope, not_before, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (realm, scope) DO UPDATE SET not_before = excluded.not_before, expires_at = excluded.expires_at
         WHERE excluded.not_before > revocations.not_before`,
      ),
      append: this.db.prepare('INSERT INTO messages (id, body) VALUES (?, ?) RETURNING seq'),
      trim: this.db.prepare('DELETE FROM messages WHERE seq <= (SELECT max(seq) FROM messages) - ?'),
      expire: this.db.prepare('DELETE FROM revocations WHERE expires_at <= ?'),
      check: this.db.prepare(
        `SELECT not_before FROM revocations WHERE realm IN (SELECT value FROM json_each(?))
         AND scope IN (SELECT value FROM json_each(?)) AND expires_at > ?`,
      ),
      seqOf: this.db.prepare('SELECT seq FROM messages WHERE id = ?'),
      after: this.db.prepare('SELECT seq, body FROM messages WHERE seq > ? ORDER BY seq'),
      all: this.db.prepare('SELECT seq, body FROM messages ORDER BY seq'),
      // Inserts the marker, or takes over an expired one; no row changed = used and still valid.
      mark: this.db.prepare(
        `INSERT INTO once_markers (key, expires_at) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE once_markers.expires_at <= ?`,
      ),
      expireMarks: this.db.prepare('DELETE FROM once_markers WHERE expires_at <= ?'),
    };
  }

  async publish(messages: readonly LogoutMessage[], nowMs: number): Promise<void> {
    this.commit(messages, nowMs, () => true);
  }

  async publishOnce(message: LogoutMessage, once: OnceMarker, nowMs: number): Promise<boolean> {
    return this.commit([message], nowMs, () => {
      this.sql.expireMarks.run(nowMs);
      return this.sql.mark.run(once.key, once.expiresAtMs, nowMs).changes > 0;
    });
  }

  /** One transaction: `guard` (false: roll back, publish nothing), revocations, replay log; then the subscribers. */
  private commit(messages: readonly LogoutMessage[], nowMs: number, guard: () => boolean): boolean {
    const logged: LoggedMessage[] = [];
    this.db.exec('BEGIN IMMEDIATE');
    try {
      if (!guard()) {
        this.db.exec('ROLLBACK');
        return false;
      }
      for (const message of messages) {
        const revocation = revocationOf(message);
        const expiresAt = revocation.notBefore * 1000 + this.options.revocationTtlMs;
        // Past its expiry a revocation protects nothing: not recorded (as in Redis).
        if (expiresAt > nowMs) this.sql.upsert.run(revocation.realmId, revocation.scope, revocation.notBefore, expiresAt);
        const { seq } = this.sql.append.get(message.id, JSON.stringify(message)) as { seq: number };
        logged.push({ seq, message });
      }
      this.sql.trim.run(this.options.replaySize);
      this.sql.expire.run(nowMs);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
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
    const rows = this.sql.check.all(JSON.stringify(realmsOf(claims)), JSON.stringify(scopesOf(claims)), Date.now()) as Array<{ not_before: number }>;
    return isRevokedBy(
      rows.map((r) => r.not_before),
      claims.iat,
    );
  }

  subscribe(listener: (logged: LoggedMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  replay(afterId: string | null): Replay {
    if (afterId === null) return { status: 'resumed', messages: [] };
    const found = this.sql.seqOf.get(afterId) as { seq: number } | undefined;
    const rows = (found ? this.sql.after.all(found.seq) : this.sql.all.all()) as Array<{ seq: number; body: string }>;
    const messages = rows.map((r) => ({ seq: r.seq, message: JSON.parse(r.body) as LogoutMessage }));
    return { status: found ? 'resumed' : 'gap', messages };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.db.close();
  }
}
