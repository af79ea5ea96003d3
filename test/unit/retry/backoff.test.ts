// Backoff timing and the retry policies table: full jitter under a doubling ceiling, a floor, and
// Retry-After read as the destination meant it.
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs } from '../../../src/retry/backoff.js';
import { DESTINATION_BREAKER, RETRY_POLICIES } from '../../../src/retry/policies.js';
import { retryDelay } from '../../../src/retry/retry-until.js';

const top = () => 0.999_999;

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt from the base, up to the cap', () => {
    const policy = { baseMs: 100, capMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('draws uniformly below the ceiling (full jitter): 0 at the bottom, never the ceiling itself', () => {
    const policy = { baseMs: 100, capMs: 1_000 };
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('stays finite for absurd attempt counts', () => {
    expect(backoffDelay(10_000, { baseMs: 250, capMs: 60_000 }, top)).toBe(59_999);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads seconds and HTTP dates, capped at 5 minutes by default', () => {
    expect(retryAfterMs('7', now)).toBe(7_000);
    expect(retryAfterMs(' 7 ', now)).toBe(7_000);
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('86400', now)).toBe(300_000);
    expect(retryAfterMs('86400', now, 10_000)).toBe(10_000);
  });

  it('takes the first of repeated headers; a date in the past is 0; nothing readable is null', () => {
    expect(retryAfterMs(['2', '9'], now)).toBe(2_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeNull();
    expect(retryAfterMs('', now)).toBeNull();
    expect(retryAfterMs('soon', now)).toBeNull();
  });
});

describe('the retry policies', () => {
  it('keep the timings the stages had before they shared one table', () => {
    expect(RETRY_POLICIES.storeOutage).toEqual({ baseMs: 200, capMs: 5_000, floorMs: 100 });
    expect(RETRY_POLICIES.logoutPublish).toEqual({ baseMs: 100, capMs: 5_000, floorMs: 50 });
    expect(RETRY_POLICIES.delivery).toEqual({ baseMs: 250, capMs: 60_000, floorMs: 0 });
    expect(RETRY_POLICIES.catchUp).toMatchObject({ baseMs: 1_000, floorMs: 0 });
    expect(DESTINATION_BREAKER).toEqual({ threshold: 5, coolDownMs: 1_000, maxCoolDownMs: 60_000 });
  });

  it('wait the floor plus the backoff: never less than the floor, never more than floor + cap', () => {
    for (const policy of Object.values(RETRY_POLICIES)) {
      for (const attempt of [1, 2, 5, 40]) {
        expect(retryDelay(policy, attempt, () => 0)).toBe(policy.floorMs);
        expect(retryDelay(policy, attempt, top)).toBeLessThan(policy.floorMs + Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1)));
      }
    }
    expect(retryDelay(RETRY_POLICIES.storeOutage, 1, () => 0.5)).toBe(200);
  });
});
