// A destination's rate limit (ratePerSecond): a token bucket of one second's capacity.
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/forward/rate-limiter.js';

describe('RateLimiter', () => {
  it("lets a second's worth through at once, then one per 1/rate seconds", async () => {
    const limiter = new RateLimiter(20);
    const signal = new AbortController().signal;
    const started = performance.now();
    for (let i = 0; i < 20; i++) await limiter.take(signal);
    expect(performance.now() - started).toBeLessThan(40);
    for (let i = 0; i < 5; i++) await limiter.take(signal);
    // Five more tokens at 20 a second: 250 ms, less what refilled while the first twenty went.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('averages the rate over a longer run', async () => {
    const limiter = new RateLimiter(50);
    const signal = new AbortController().signal;
    for (let i = 0; i < 50; i++) await limiter.take(signal);
    const started = performance.now();
    for (let i = 0; i < 25; i++) await limiter.take(signal);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('a waiting take ends with the abort', async () => {
    const limiter = new RateLimiter(1);
    const stopper = new AbortController();
    await limiter.take(stopper.signal);
    const waiting = limiter.take(stopper.signal);
    setTimeout(() => stopper.abort(), 10);
    await expect(waiting).rejects.toThrow(/abort/i);
  });
});
