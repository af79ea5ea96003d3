// Catch-up sources (embedded): tables of DATA_DIR's database, so that a source's checkpoints
// outlive the process and the relay restarted on the same DATA_DIR goes on from them. The same
// lease rules as ../redis/lua/{leaseSource-1,saveSource-1}.lua, each a transaction.
import type { StatementSync } from 'node:sqlite';
import type { SourceRecord, SourceStore } from '../event-store.js';
import { all, one, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';

const STATEMENTS = {
  // Taken when never taken, lapsed (or let go: 0) or already the caller's.
  lease: `INSERT INTO sources (name, owner, lease_until) VALUES (?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
    WHERE sources.owner = excluded.owner OR sources.lease_until < ?`,
  holder: 'SELECT owner, lease_until AS leaseUntil FROM sources WHERE name = ?',
  parts: 'SELECT part, data FROM source_parts WHERE name = ?',
  renew: 'UPDATE sources SET lease_until = ? WHERE name = ? AND owner = ?',
  savePart: `INSERT INTO source_parts (name, part, data) VALUES (?, ?, ?)
    ON CONFLICT (name, part) DO UPDATE SET data = excluded.data`,
} as const;

export class EmbeddedSources implements SourceStore {
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;

  constructor(private readonly db: EmbeddedDb) {
    this.sql = db.prepare(STATEMENTS);
  }

  async leaseSource(name: string, owner: string, nowMs: number, leaseUntil: number): Promise<SourceRecord> {
    return this.db.write(() => {
      this.sql.lease.run(name, owner, leaseUntil, nowMs);
      const holder = one<{ owner: string; leaseUntil: number }>(this.sql.holder, name);
      const parts = Object.fromEntries(all<{ part: string; data: string }>(this.sql.parts, name).map((p) => [p.part, p.data]));
      return { owner: holder?.owner ?? null, leaseUntil: holder?.leaseUntil ?? 0, parts };
    });
  }

  async saveSource(name: string, owner: string, leaseUntil: number, parts: Record<string, string>): Promise<boolean> {
    return this.db.write(() => {
      if (this.sql.renew.run(leaseUntil, name, owner).changes === 0) return false;
      for (const [part, data] of Object.entries(parts)) this.sql.savePart.run(name, part, data);
      return true;
    });
  }
}
