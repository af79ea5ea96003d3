// Quarantined bodies (embedded): a table bounded like the ring buffer, newest read first.
import type { StatementSync } from 'node:sqlite';
import type { BufferPolicy, QuarantinedBody, QuarantineRecord } from '../event-store.js';
import { all, type EmbeddedDb } from './embedded-db.js';

const STATEMENTS = {
  insert: `INSERT INTO quarantine (node, received_at, remote_address, error_code, error_message, body)
    VALUES (?, ?, ?, ?, ?, ?)`,
  trim: 'DELETE FROM quarantine WHERE id <= ?',
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

  async quarantine(record: QuarantineRecord): Promise<void> {
    await this.db.write(() => {
      const { lastInsertRowid } = this.sql.insert.run(
        record.node,
        record.receivedAt,
        record.remoteAddress,
        record.errorCode,
        record.errorMessage,
        record.body,
      );
      this.sql.trim.run(Number(lastInsertRowid) - this.policy.capacity);
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
