// Runs an operation until it succeeds, waiting out failures with a policy's backoff: how the
// relay rides out store and bus outages without ending the process.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from './backoff.js';
import type { RetryPolicy } from './policies.js';

export interface RetryOptions {
  /** Give up after the first failure (still tried once, even when already aborted). */
  once?: boolean;
  /** One more try when the abort cuts a wait short (a stopping consumer still acknowledges work just done). */
  finalTry?: boolean;
  /** Told of every failure; `retrying` is false when it is the last (aborted, or `once`). */
  onFailure?: (err: unknown, attempt: number, retrying: boolean) => void;
  random?: () => number;
}

/** Wait before retry number `attempt` (1 = first retry) under `policy`. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return policy.floorMs + backoffDelay(attempt, policy, random);
}

/**
 * The operation's result, or null once `signal` is aborted (or after one failure with `once`). The
 * operation is tried at least once even when aborted already, so that work done just before a stop
 * (a delivery to acknowledge) still gets its store call.
 */
export async function retryUntil<T>(
  op: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  { once = false, finalTry = false, onFailure, random }: RetryOptions = {},
): Promise<T | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const retrying = !signal.aborted && !once;
      onFailure?.(err, attempt, retrying);
      if (!retrying) return null;
      await sleep(retryDelay(policy, attempt, random), undefined, { signal }).catch(() => undefined);
      if (signal.aborted && !finalTry) return null;
    }
  }
}
