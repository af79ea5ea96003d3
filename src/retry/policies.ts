// Every retry timing of the relay in one table, so that they can be compared and tuned together.
// All waits are full-jitter exponential backoff (backoff.ts) plus a floor.
import type { BackoffPolicy } from './backoff.js';
import type { BreakerOptions } from './circuit-breaker.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Added to every wait: a floor that keeps a failing operation from spinning. */
  floorMs: number;
}

export const RETRY_POLICIES = {
  /** A stream consumer's store operations (create group, read, acknowledge, keep a dead letter) during an outage. */
  storeOutage: { baseMs: 200, capMs: 5_000, floorMs: 100 },
  /** Publishing a batch of logout messages to the bus. */
  logoutPublish: { baseMs: 100, capMs: 5_000, floorMs: 50 },
  /** Writing events to a destination (unless it sent Retry-After). */
  delivery: { baseMs: 250, capMs: 60_000, floorMs: 0 },
  /** A failed catch-up poll of Keycloak: capped at the source's interval where that is shorter. */
  catchUp: { baseMs: 1_000, capMs: Number.POSITIVE_INFINITY, floorMs: 0 },
} as const satisfies Record<string, RetryPolicy>;

/** Each destination's circuit breaker: open after 5 writes in a row fail outright; cool-down 1 s, doubled per failed probe up to 60 s. */
export const DESTINATION_BREAKER: BreakerOptions = { threshold: 5, coolDownMs: 1_000, maxCoolDownMs: 60_000 };
