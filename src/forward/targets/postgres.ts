// The PostgreSQL target: an audit table with one row per uid, written a batch per INSERT with
// ON CONFLICT (uid) DO NOTHING, so a resend changes nothing. The relay creates the table and its
// indexes when absent (migrationSql, docs/forwarding.md), once per process, before its first write.
import pg from 'pg';
import type { CanonicalEvent } from '../../event/canonical.js';
import type { StoredEntry } from '../../store/event-store.js';
import type { PostgresDestination } from '../destination.js';
import { eventClient, eventTypeName } from '../filter.js';
import { DELIVERED, failedWith, LinkState, withPassword, type ConnectionState, type DeliveryResult, type Target } from './target.js';

/** `"schema"."table"` or `"table"` (the name is a checked lower-case identifier). */
function quoted(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** The table and the indexes for an auditor's questions: idempotent, so every start may run it. */
export function migrationSql(table: string): string[] {
  const t = quoted(table);
  const base = table.split('.').pop()!;
  return [
    `CREATE TABLE IF NOT EXISTS ${t} (
      uid text PRIMARY KEY,
      time timestamptz NOT NULL,
      kind text NOT NULL,
      realm_id text,
      type text,
      user_id text,
      session_id text,
      client_id text,
      ip_address text,
      error text,
      event jsonb NOT NULL,
      received_at timestamptz NOT NULL
    )`,
    // A user's events over time.
    `CREATE INDEX IF NOT EXISTS "${base}_user_time" ON ${t} (realm_id, user_id, time)`,
    // A realm's admin changes over time.
    `CREATE INDEX IF NOT EXISTS "${base}_admin_time" ON ${t} (realm_id, time) WHERE kind = 'admin'`,
    // Everything a session did.
    `CREATE INDEX IF NOT EXISTS "${base}_session" ON ${t} (session_id) WHERE session_id IS NOT NULL`,
    // Time ranges across realms, and retention (DELETE … WHERE time < …).
    `CREATE INDEX IF NOT EXISTS "${base}_time" ON ${t} (time)`,
  ];
}

const COLUMNS = [
  'uid',
  'time',
  'kind',
  'realm_id',
  'type',
  'user_id',
  'session_id',
  'client_id',
  'ip_address',
  'error',
  'event',
  'received_at',
];
const TYPES = ['text', 'timestamptz', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'text', 'jsonb', 'timestamptz'];

/** One row's values, in COLUMNS order. */
function row(entry: StoredEntry): Array<string | null> {
  const e: CanonicalEvent = entry.event;
  return [
    entry.uid,
    eventTime(e),
    e.kind,
    e.realmId,
    eventTypeName(e),
    e.userId ?? e.authDetails?.userId ?? null,
    e.sessionId,
    eventClient(e),
    e.ipAddress ?? e.authDetails?.ipAddress ?? null,
    e.error,
    entry.body,
    e.receivedAt,
  ];
}

/** Keycloak's event time, or the uid's when it has none (or one no timestamp can hold). */
function eventTime(e: CanonicalEvent): string {
  const time = e.time === null ? Number.NaN : new Date(e.time);
  return time instanceof Date && Number.isFinite(time.getTime()) && time.getUTCFullYear() < 10_000 ? time.toISOString() : e.emittedAt;
}

/** The SQLSTATE of a server error ('' for others: a refused connection, a timeout). */
function sqlState(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : '';
}

/** Class 22 (data exception): this row's data, not the table or the link, is at fault. */
const isDataError = (err: unknown): boolean => sqlState(err).startsWith('22');

export class PostgresTarget implements Target {
  readonly batchSize: number;
  private readonly pool: pg.Pool;
  private readonly insert: string;
  private migrated: Promise<void> | null = null;
  private readonly link = new LinkState();

  constructor(private readonly destination: PostgresDestination) {
    this.batchSize = destination.batchSize;
    const { tls } = destination;
    this.pool = new pg.Pool({
      // In the URL: pg lets the connection string's (empty) password win over a separate one.
      connectionString: withPassword(destination.url, destination.passwordFile),
      ...(tls ? { ssl: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) } } : {}),
      max: destination.concurrency,
      connectionTimeoutMillis: destination.timeoutMs,
      query_timeout: destination.timeoutMs,
      application_name: 'kc-event-relay',
    });
    // An idle connection that breaks (server restart, a cut link) must not crash the process.
    this.pool.on('error', (err) => this.link.set('down', failedWith(err).error));
    const columns = COLUMNS.join(', ');
    const arrays = TYPES.map((type, i) => `$${i + 1}::${type === 'jsonb' ? 'text' : type}[]`).join(', ');
    const select = COLUMNS.map((c, i) => (TYPES[i] === 'jsonb' ? `${c}::jsonb` : c)).join(', ');
    this.insert = `INSERT INTO ${quoted(destination.table)} (${columns}) SELECT ${select} FROM unnest(${arrays}) AS r(${columns}) ON CONFLICT (uid) DO NOTHING`;
  }

  connection(): ConnectionState {
    return this.link.get();
  }

  async write(entries: readonly StoredEntry[]): Promise<DeliveryResult[]> {
    try {
      await this.migrate();
      await this.insertRows(entries);
      this.link.set('up');
      return entries.map(() => DELIVERED);
    } catch (err) {
      if (isDataError(err) && entries.length > 1) {
        // One event's data is refused (say a NUL character): the others are not held back by it.
        return Promise.all(entries.map(async (entry) => this.insertRows([entry]).then(() => DELIVERED, failedWith)));
      }
      const result = failedWith(err);
      if (isLinkError(err)) this.link.set('down', result.error);
      else this.link.set('up');
      return entries.map(() => result);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private async insertRows(entries: readonly StoredEntry[]): Promise<void> {
    const columns: Array<Array<string | null>> = COLUMNS.map(() => []);
    for (const entry of entries) row(entry).forEach((value, i) => columns[i]!.push(value));
    await this.pool.query(this.insert, columns);
  }

  /** Runs the migration once per process (again after a failure), serialized across replicas by an advisory lock. */
  private migrate(): Promise<void> {
    this.migrated ??= (async () => {
      this.link.set('connecting');
      const client = await this.pool.connect();
      let failure: Error | undefined;
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`kc-event-relay:${this.destination.table}`]);
        for (const statement of migrationSql(this.destination.table)) await client.query(statement);
        await client.query('COMMIT');
      } catch (err) {
        failure = err as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // A connection that failed mid-transaction is closed rather than handed out again.
        client.release(failure);
      }
    })().catch((err: unknown) => {
      this.migrated = null;
      throw err;
    });
    return this.migrated;
  }
}

/** No SQLSTATE, or class 08 (connection exception) / 57P (operator intervention): the link, not the SQL. */
function isLinkError(err: unknown): boolean {
  const code = sqlState(err);
  return code === '' || code.startsWith('08') || code.startsWith('57P');
}
