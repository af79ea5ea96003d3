// One HTTP destination: a keep-alive undici pool and the Standard Webhooks request for an event.
import { Pool } from 'undici';
import type { Destination } from '../config/destinations.js';
import { retryAfterMs } from './backoff.js';
import { secretKey, sign } from './signature.js';

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, reset, timeout). */
  status: number | null;
  error: string;
  /** What the destination asked for with Retry-After on 429/503. */
  retryAfterMs: number | null;
}

export class DestinationClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly key: Buffer | null;

  constructor(private readonly destination: Destination) {
    const url = new URL(destination.url);
    this.path = `${url.pathname}${url.search}`;
    // headersTimeout and bodyTimeout bound each request (no per-request AbortSignal: its timer costs
    // more CPU than the request itself at thousands of deliveries a second).
    this.pool = new Pool(url.origin, {
      connections: destination.concurrency,
      keepAliveTimeout: 30_000,
      connect: { timeout: destination.timeoutMs },
    });
    this.key = destination.secret ? secretKey(destination.secret) : null;
  }

  /** POSTs `body` (the stored JSON of the event `uid`). */
  async deliver(uid: string, body: string, nowMs: number): Promise<DeliveryResult> {
    const timestamp = Math.floor(nowMs / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'kc-event-relay',
      'webhook-id': uid,
      'webhook-timestamp': String(timestamp),
      'idempotency-key': uid,
    };
    if (this.key) headers['webhook-signature'] = sign(this.key, uid, timestamp, body);
    const timeout = this.destination.timeoutMs;
    try {
      const res = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers,
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      // The answer's body is not needed, but must be consumed for the connection to be reused.
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      const askedDelay = res.statusCode === 429 || res.statusCode === 503 ? retryAfterMs(res.headers['retry-after'], nowMs) : null;
      return { ok, status: res.statusCode, error: ok ? '' : `HTTP ${res.statusCode}`, retryAfterMs: askedDelay };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { ok: false, status: null, error: e.code ? `${e.code}: ${e.message}` : e.message, retryAfterMs: null };
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
