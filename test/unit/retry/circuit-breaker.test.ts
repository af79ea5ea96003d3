// The destination circuit breaker: opens after `threshold` failures in a row, lets one probe through
// after the cool-down, doubles the cool-down per failed probe up to the maximum, closes on success.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/retry/circuit-breaker.js';

const options = { threshold: 3, coolDownMs: 1_000, maxCoolDownMs: 3_000 };

function openedAt(t: number): CircuitBreaker {
  const breaker = new CircuitBreaker(options);
  for (let i = 0; i < options.threshold; i++) breaker.failure(t);
  return breaker;
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold; a success resets the count', () => {
    const breaker = new CircuitBreaker(options);
    breaker.failure(0);
    breaker.failure(0);
    breaker.success();
    breaker.failure(0);
    breaker.failure(0);
    expect(breaker.state(0)).toBe('closed');
    expect(breaker.tryAcquire(0)).toBe(true);
    expect(breaker.waitMs(0)).toBe(0);
  });

  it('opens at the threshold and refuses requests for the cool-down', () => {
    const breaker = openedAt(10_000);
    expect(breaker.state(10_000)).toBe('open');
    expect(breaker.tryAcquire(10_500)).toBe(false);
    expect(breaker.waitMs(10_400)).toBe(600);
  });

  it('half-open after the cool-down: exactly one probe goes out until its result is known', () => {
    const breaker = openedAt(0);
    expect(breaker.state(1_000)).toBe('half-open');
    expect(breaker.tryAcquire(1_000)).toBe(true);
    expect(breaker.tryAcquire(1_001)).toBe(false);
    breaker.success();
    expect(breaker.state(1_002)).toBe('closed');
    expect(breaker.tryAcquire(1_002)).toBe(true);
  });

  it('a failed probe re-opens it with a doubled cool-down, up to the maximum', () => {
    const breaker = openedAt(0);
    let t = 0;
    const coolDowns: number[] = [];
    for (let probe = 0; probe < 4; probe++) {
      t += breaker.waitMs(t);
      expect(breaker.tryAcquire(t)).toBe(true);
      breaker.failure(t);
      coolDowns.push(breaker.waitMs(t));
    }
    expect(coolDowns).toEqual([2_000, 3_000, 3_000, 3_000]);
  });

  it('a success after the outage starts again from the first cool-down', () => {
    const breaker = openedAt(0);
    expect(breaker.tryAcquire(1_000)).toBe(true);
    breaker.failure(1_000);
    expect(breaker.tryAcquire(3_000)).toBe(true);
    breaker.success();
    for (let i = 0; i < options.threshold; i++) breaker.failure(5_000);
    expect(breaker.waitMs(5_000)).toBe(1_000);
  });

  it("the destination's Retry-After sets the cool-down", () => {
    const breaker = new CircuitBreaker(options);
    breaker.failure(0);
    breaker.failure(0);
    breaker.failure(0, 30_000);
    expect(breaker.state(29_999)).toBe('open');
    expect(breaker.state(30_000)).toBe('half-open');
  });
});
