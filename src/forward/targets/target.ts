// The seam between the worker (consumer group, retries, backoff, circuit breaker, dead letters,
// replays) and where events go. A target only writes one batch and says, per event, whether the
// destination confirmed it: a 2xx, a publisher confirm, a PubAck, a committed row.
import type { StoredEntry } from '../../store/event-store.js';

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, reset, timeout) or the target is not HTTP. */
  status: number | null;
  /** Why it failed, in words an operator can act on ('' when ok); never a credential. */
  error: string;
  /** What the destination asked for (Retry-After on 429/503). */
  retryAfterMs: number | null;
}

export const DELIVERED: DeliveryResult = { ok: true, status: null, error: '', retryAfterMs: null };

export function failed(error: string, status: number | null = null): DeliveryResult {
  return { ok: false, status, error, retryAfterMs: null };
}

/** A thrown error as a result; `code` (ECONNREFUSED, a SQLSTATE) first when there is one. */
export function failedWith(err: unknown): DeliveryResult {
  const e = err as Error & { code?: unknown };
  const message = e instanceof Error ? e.message : String(err);
  return failed(typeof e.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message);
}

/**
 * The link to the destination as last seen: `idle` before the first write, `up` while connected
 * (HTTP: the last request had an answer), `down` after a lost or refused connection.
 */
export interface ConnectionState {
  state: 'idle' | 'connecting' | 'up' | 'down';
  /** When the state last changed (ISO). */
  since: string;
  /** Why it is down; never a credential. */
  error?: string;
}

export interface Target {
  /** Most entries one write takes: 1 for a webhook (one event per request). */
  readonly batchSize: number;
  /** Writes `entries`; resolves with one result per entry, in order, and never rejects. */
  write(entries: readonly StoredEntry[], nowMs: number): Promise<DeliveryResult[]>;
  connection(): ConnectionState;
  close(): Promise<void>;
}

/** Tracks a target's connection state. */
export class LinkState {
  private current: ConnectionState = { state: 'idle', since: new Date().toISOString() };

  get(): ConnectionState {
    return this.current;
  }

  set(state: ConnectionState['state'], error?: string): void {
    if (state === this.current.state && error === this.current.error) return;
    this.current = { state, since: new Date().toISOString(), ...(error ? { error } : {}) };
  }
}

/** A URL for display: scheme, host and path, without credentials or query (tokens live there). */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** The URL with `password` (a passwordFile's) in place of its own; as it was when there is none. */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Rejects after `ms` with `what` timed out, unless `work` settles first. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
