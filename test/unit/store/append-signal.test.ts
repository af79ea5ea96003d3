// The wake-up of readers waiting in this process (src/store/append-signal.ts): a logout group's
// reader sleeps up to its poll pause between reads, and must not sleep through an append that
// landed while it was reading. Pure: no servers.
import { describe, expect, it } from 'vitest';
import { AppendSignals } from '../../../src/store/append-signal.js';

const settledWithin = async (promise: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('AppendSignal', () => {
  it('wakes a waiter at the next notify, and otherwise after its pause', async () => {
    const signals = new AppendSignals();
    const waiting = signals.tagged('logout').wait(2_000);
    signals.appended({ logout: true });
    expect(await settledWithin(waiting, 1_000)).toBe(true);
    const started = Date.now();
    await signals.tagged('logout').wait(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('does not sleep through an append made after the count was taken (during the read before the wait)', async () => {
    const signals = new AppendSignals();
    const signal = signals.tagged('logout');
    const before = signal.count;
    signals.appended({ logout: true }); // lands while the reader's read is under way
    expect(await settledWithin(signal.wait(2_000, before), 1_000)).toBe(true);
    // Nothing since this count: a real pause.
    expect(await settledWithin(signal.wait(2_000, signal.count), 50)).toBe(false);
  });

  it('counts only the appends its tag may be on', async () => {
    const signals = new AppendSignals();
    const signal = signals.tagged('logout');
    const before = signal.count;
    signals.appended({ logout: false });
    expect(signal.count).toBe(before);
    expect(await settledWithin(signal.wait(2_000, before), 50)).toBe(false);
    signals.appended(undefined); // tags unknown: every tag's readers are handed it
    expect(signal.count).toBe(before + 1);
  });
});
