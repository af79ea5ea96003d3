// The ring buffer's table as the embedded store's parts read it: entries leave only from the oldest
// end, so the ids in the table are one contiguous range and its length follows from its bounds.
import type { StatementSync } from 'node:sqlite';
import type { StoredEntry } from '../event-store.js';
import { storedEntry } from '../stored-entry.js';
import { one, type EmbeddedDb } from '../../backend/sqlite/embedded-db.js';

export interface EntryRow {
  id: number;
  uid: string;
  event: string;
}

export interface Bounds {
  oldest: number | null;
  newest: number | null;
}

export class RingBuffer {
  private readonly sql: Record<'bounds', StatementSync>;

  constructor(db: EmbeddedDb) {
    // One subquery per bound: SQLite reads min() or max() of the key from the b-tree's edge only
    // when the query has that single aggregate; `SELECT min(id), max(id)` scans the whole table,
    // which every append paid (32 ms at 200,000 entries).
    this.sql = db.prepare({ bounds: 'SELECT (SELECT min(id) FROM events) AS oldest, (SELECT max(id) FROM events) AS newest' });
  }

  bounds(): Bounds {
    return one<Bounds>(this.sql.bounds)!;
  }

  length(): number {
    const { oldest, newest } = this.bounds();
    return oldest === null || newest === null ? 0 : newest - oldest + 1;
  }
}

export function toEntry(row: EntryRow, deliveries: number): StoredEntry {
  return storedEntry(String(row.id), row.uid, row.event, deliveries);
}
