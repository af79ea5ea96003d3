// Quarantined bodies (embedded): a table bounded by count and by bytes (as ../redis/lua/quarantineBody-2.lua
// bounds the stream), newest read first.
import type { StatementSync } from 'node:sqlite';
import type { BufferPolicy, QuarantinedBody, QuarantineRecord } from '../event-store.js';
import { all, oldestRows, one, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';

const STATEMENTS = {
  insert: `INSERT INTO quarantine (node, received_at, remote_address, error_code, error_message, body)
    VALUES (?, ?, ?, ?, ?, ?)`,
  oldest: 'SELECT id, length(body) AS bytes FROM quarantine WHERE id > ? ORDER BY id LIMIT ?',
  trim: 'DELETE FROM quarantine WHERE id <= ?',
  stat: 'SELECT value FROM stats WHERE name = ?',
  countStat: 'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
  list: `SELECT id, node, received_at AS receivedAt, remote_address AS remoteAddress, error_code AS errorCode,
    error_message AS errorMessage, body FROM quarantine ORDER BY id DESC LIMIT ?`,
} as const;

export class EmbeddedQuarantine {
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;

  constructor(
    private readonly db: EmbeddedDb,
    private readonly policy: BufferPolicy,
  ) {
    this.sql = db.prepare(STATEMENTS);
  }

  /** Keeps the body; the oldest go while a bound is exceeded (the new one always stays). */
  async quarantine(record: QuarantineRecord): Promise<number> {
    return this.db.write(() => {
      const { lastInsertRowid } = this.sql.insert.run(
        record.node,
        record.receivedAt,
        record.remoteAddress,
        record.errorCode,
        record.errorMessage,
        record.body,
      );
      const newest = Number(lastInsertRowid);
      const bytes = (one<{ value: number }>(this.sql.stat, 'quarantineBytes')?.value ?? 0) + record.body.length;
      // Rows leave only from the oldest end: the ids are one contiguous range.
      const length = newest - (one<{ id: number }>(this.sql.oldest, 0, 1)?.id ?? newest) + 1;
      let dropped = 0;
      let freed = 0;
      let through = 0;
      const overBound = (): boolean =>
        length - dropped > 1 && (length - dropped > this.policy.capacity || bytes - freed > this.policy.quarantineMaxBytes);
      for (const row of oldestRows<{ id: number; bytes: number }>(this.sql.oldest, Math.max(length - this.policy.capacity, 16))) {
        if (!overBound()) break;
        dropped += 1;
        freed += row.bytes;
        through = row.id;
      }
      if (dropped > 0) {
        this.sql.trim.run(through);
        this.sql.countStat.run('quarantineDropped', dropped);
      }
      this.sql.countStat.run('quarantineBytes', record.body.length - freed);
      return dropped;
    });
  }

  async listQuarantine(count: number): Promise<QuarantinedBody[]> {
    return this.db.read(() =>
      all<Omit<QuarantinedBody, 'id' | 'body'> & { id: number; body: Uint8Array }>(this.sql.list, count).map((row) => ({
        ...row,
        id: String(row.id),
        body: Buffer.from(row.body),
      })),
    );
  }
}
