// Throttling of failed authentications. Callers check the credential first (constant time) and
// consult the throttle only for a request that failed it: a correct credential is always admitted,
// so nobody's failures, from any address, can lock the emitter (or an operator) out, and a success
// resets nothing, so guesses interleaved with a legitimate sender's successes are still counted.
// Failures are counted per (address, username) with `maxFailures`, and per address with
// ADDRESS_FACTOR times that, so that a sender spraying usernames is throttled too. Beyond the budget
// a failing request is answered 429 for the rest of the window instead of 401. A failure counts
// for the client's address and, behind a trusted proxy, also for the TCP peer's: the client address
// then comes from X-Forwarded-For, which a client may write itself. Counters live in memory per
// replica (a load balancer spreads a guesser over replicas, multiplying its budget by their number
// at most).
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

interface Window {
  startedAt: number;
  failures: number;
}

/** The per-address budget is this many times the per-(address, username) one. */
export const ADDRESS_FACTOR = 10;

export class AuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    /** Bound on tracked keys, so that a spray of sources cannot grow memory without limit. */
    private readonly maxTracked = 100_000,
  ) {}

  /**
   * A failed authentication from `addresses` (failureAddresses) as `username`: the seconds of a
   * 429's Retry-After when one of them is over its budget (the failure is then not counted), else
   * 0 once the failure is counted for each (answer 401).
   */
  fail(addresses: readonly string[], username: string, nowMs: number): number {
    let retryAfter = 0;
    for (const address of addresses) retryAfter = Math.max(retryAfter, this.retryAfterSeconds(address, username, nowMs));
    if (retryAfter > 0) return retryAfter;
    for (const address of addresses) {
      this.count(addressKey(address), nowMs);
      this.count(userKey(address, username), nowMs);
    }
    return 0;
  }

  private retryAfterSeconds(address: string, username: string, nowMs: number): number {
    return Math.max(
      this.retryAfter(this.current(addressKey(address), nowMs), this.maxFailures * ADDRESS_FACTOR, nowMs),
      this.retryAfter(this.current(userKey(address, username), nowMs), this.maxFailures, nowMs),
    );
  }

  private retryAfter(w: Window | undefined, limit: number, nowMs: number): number {
    if (!w || w.failures < limit) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - nowMs) / 1000));
  }

  private count(key: string, nowMs: number): void {
    const w = this.current(key, nowMs);
    if (w) {
      w.failures += 1;
      return;
    }
    if (this.windows.size >= this.maxTracked) this.evictExpired(nowMs);
    if (this.windows.size >= this.maxTracked) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    this.windows.set(key, { startedAt: nowMs, failures: 1 });
  }

  private current(key: string, nowMs: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && nowMs - w.startedAt >= this.windowMs) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private evictExpired(nowMs: number): void {
    for (const [key, w] of this.windows) {
      if (nowMs - w.startedAt >= this.windowMs) this.windows.delete(key);
    }
  }
}

const addressKey = (address: string): string => `a ${address}`;

/** A digest, not the username itself: a username field may hold a secret (sender misconfigured), and it has no length bound. */
const userKey = (address: string, username: string): string =>
  `u ${address} ${createHash('sha256').update(username, 'utf8').digest('base64url').slice(0, 22)}`;

/**
 * The addresses a failed authentication counts for: the client's (`ip`, from X-Forwarded-For behind
 * a trusted proxy) and the TCP peer's when it differs, so that rotating X-Forwarded-For values cannot
 * spread one client's failures over fresh keys.
 */
export function failureAddresses(request: { ip: string; socket: Pick<Socket, 'remoteAddress'> }): string[] {
  const peer = request.socket.remoteAddress;
  return peer === undefined || peer === request.ip ? [request.ip] : [request.ip, peer];
}
