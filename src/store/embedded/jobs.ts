// Replay and redrive jobs (embedded): a table of DATA_DIR's database, so that a job outlives the
// process and the relay restarted on the same DATA_DIR resumes it from its checkpoint. The same
// rules as ../redis/lua/{createJob-2,saveJob-3,claimJob-1}.lua, each a transaction.
import type { StatementSync } from 'node:sqlite';
import { KEEP_FINISHED_JOBS, type JobRecord, type JobStore } from '../event-store.js';
import { one, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';

const STATEMENTS = {
  create: 'INSERT INTO jobs (id, data, owner, lease_until, running) VALUES (?, ?, ?, ?, 1)',
  get: 'SELECT data FROM jobs WHERE id = ?',
  save: 'UPDATE jobs SET data = ?, lease_until = ? WHERE id = ? AND owner = ?',
  finish: 'UPDATE jobs SET running = 0, finished_at = ? WHERE id = ?',
  prune: `DELETE FROM jobs WHERE running = 0 AND id NOT IN
    (SELECT id FROM jobs WHERE running = 0 ORDER BY finished_at DESC LIMIT ?)`,
  claimable: `SELECT id, data FROM jobs WHERE running = 1
    AND (lease_until < ? OR (owner = ? AND id NOT IN (SELECT value FROM json_each(?)))) LIMIT 1`,
  take: 'UPDATE jobs SET owner = ?, lease_until = ? WHERE id = ?',
} as const;

export class EmbeddedJobs implements JobStore {
  private readonly sql: Record<keyof typeof STATEMENTS, StatementSync>;

  constructor(private readonly db: EmbeddedDb) {
    this.sql = db.prepare(STATEMENTS);
  }

  async createJob(job: JobRecord, owner: string, leaseUntil: number): Promise<void> {
    await this.db.write(() => this.sql.create.run(job.id, job.data, owner, leaseUntil));
  }

  async getJob(id: string): Promise<string | null> {
    return this.db.read(() => one<{ data: string }>(this.sql.get, id)?.data ?? null);
  }

  async saveJob(job: JobRecord, owner: string, running: boolean, leaseUntil: number, nowMs: number): Promise<boolean> {
    return this.db.write(() => {
      if (this.sql.save.run(job.data, leaseUntil, job.id, owner).changes === 0) return false;
      if (!running) {
        this.sql.finish.run(nowMs, job.id);
        this.sql.prune.run(KEEP_FINISHED_JOBS);
      }
      return true;
    });
  }

  async claimJob(owner: string, nowMs: number, leaseUntil: number, exclude: readonly string[]): Promise<JobRecord | null> {
    return this.db.write(() => {
      const found = one<JobRecord>(this.sql.claimable, nowMs, owner, JSON.stringify(exclude));
      if (found) this.sql.take.run(owner, leaseUntil, found.id);
      return found ? { id: found.id, data: found.data } : null;
    });
  }
}
