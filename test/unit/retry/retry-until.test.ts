// retryUntil: tries until the operation succeeds, waits the policy's backoff between failures, and
// ends (null) when stopped, with or without the final try a stopping consumer needs.
import { describe, expect, it } from 'vitest';
import { retryUntil } from '../../../src/retry/retry-until.js';

const quick = { baseMs: 1, capMs: 4, floorMs: 1 };

/** An operation failing `failures` times, then answering `value`; counts its calls. */
function flaky<T>(failures: number, value: T) {
  const op = async () => {
    op.calls += 1;
    if (op.calls <= failures) throw new Error(`failure ${op.calls}`);
    return value;
  };
  op.calls = 0;
  return op;
}

describe('retryUntil', () => {
  it('answers the first success, telling each failure with its attempt number', async () => {
    const op = flaky(3, 'done');
    const told: Array<[string, number, boolean]> = [];
    const result = await retryUntil(op, quick, new AbortController().signal, {
      onFailure: (err, attempt, retrying) => told.push([(err as Error).message, attempt, retrying]),
    });
    expect(result).toBe('done');
    expect(op.calls).toBe(4);
    expect(told).toEqual([
      ['failure 1', 1, true],
      ['failure 2', 2, true],
      ['failure 3', 3, true],
    ]);
  });

  it('waits the backoff between tries', async () => {
    const op = flaky(2, 1);
    const started = performance.now();
    await retryUntil(op, { baseMs: 40, capMs: 40, floorMs: 40 }, new AbortController().signal, { random: () => 0.5 });
    // Two waits of 40 ms floor + 20 ms jitter each.
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('with `once`, gives up after one failure', async () => {
    const op = flaky(1, 'late');
    const told: boolean[] = [];
    expect(await retryUntil(op, quick, new AbortController().signal, { once: true, onFailure: (_e, _a, r) => told.push(r) })).toBeNull();
    expect(op.calls).toBe(1);
    expect(told).toEqual([false]);
  });

  it('still tries once when already stopped, and succeeds then', async () => {
    const stopped = AbortSignal.abort();
    expect(await retryUntil(flaky(0, 'ok'), quick, stopped)).toBe('ok');
    const failing = flaky(1, 'never');
    expect(await retryUntil(failing, quick, stopped)).toBeNull();
    expect(failing.calls).toBe(1);
  });

  it('ends a wait cut short by a stop with null; with finalTry it tries once more first', async () => {
    for (const finalTry of [false, true]) {
      const stopper = new AbortController();
      const op = flaky(Number.POSITIVE_INFINITY, null);
      const running = retryUntil(op, { baseMs: 60_000, capMs: 60_000, floorMs: 60_000 }, stopper.signal, { finalTry });
      await new Promise((resolve) => setTimeout(resolve, 20));
      stopper.abort();
      const started = performance.now();
      expect(await running).toBeNull();
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(op.calls).toBe(finalTry ? 2 : 1);
    }
  });
});
