// What a catch-up run ends with: the `outcome` label of kcr_source_poll_total, shown on the status
// page and in /readyz. A failure is classified where it happens (the admin API client, the store,
// the lease); this module only names them and reads a thrown error as one.
import { KcrError } from '../../errors.js';

export const POLL_OUTCOMES = [
  /** Every list read to its end. */
  'ok',
  /** A list reached the per-run cap (maxPerRun): the next run starts at once. */
  'more',
  /** The token endpoint refused the client (wrong secret, no service account), or a list answered 401. */
  'unauthorized',
  /** A list answered 403: the service account lacks realm-management's view-events. */
  'forbidden',
  /** No answer: connection refused or reset, DNS, timeout. */
  'unreachable',
  /** Any other status: 5xx, 429, 404 (a realm that is not there). */
  'unavailable',
  /** An answer the relay cannot read (not JSON, an event without id, not in ascending time). */
  'invalid',
  /** The store did not take an event: unreachable, or full under BUFFER_OVERFLOW=reject. */
  'store_unavailable',
  /** Another replica took the source over (this one's lease had lapsed): it stopped here. */
  'lease_lost',
  /** A fault of the relay itself (logged with its stack). */
  'error',
] as const;
export type PollOutcome = (typeof POLL_OUTCOMES)[number];

/** A failure of a run, classified. */
export class PollFailure extends Error {
  override readonly name = 'PollFailure';
  constructor(
    readonly outcome: PollOutcome,
    message: string,
    /** What Keycloak asked for with Retry-After (429, 503). */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** Any error a run throws, as a PollFailure. */
export function asPollFailure(err: unknown): PollFailure {
  if (err instanceof PollFailure) return err;
  if (err instanceof KcrError) {
    // What ingest answers 503 for: the store unreachable or not replicated, the buffer full.
    if (err.statusCode === 503) return new PollFailure('store_unavailable', `${err.code}: ${err.message}`);
    // KCR_ERR_SOURCE_ANSWER, and the decoding codes of an entry (KCR_ERR_FIELD_TYPE, KCR_ERR_EVENT_KIND).
    return new PollFailure('invalid', `${err.code}: ${err.message}`);
  }
  return new PollFailure('error', (err as Error).message ?? String(err));
}
