// The supervisor's bound on restarts: at most `max` within any window of `windowMs`.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { RestartBudget } from '../../../src/workers/restart-budget.js';

it('allows max restarts within the window, then refuses until the oldest leaves it', () => {
  let now = 0;
  const budget = new RestartBudget(3, 1_000, () => now);
  const at = (t: number) => {
    now = t;
    return budget.take();
  };
  expect([at(0), at(100), at(200), at(300)]).toEqual([true, true, true, false]);
  expect(at(999)).toBe(false);
  expect(at(1_000)).toBe(true);
  expect(at(1_050)).toBe(false);
  expect(at(1_100)).toBe(true);
});

it('never grants more than max within any window, and refuses nothing a window allows', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }), (max, gaps) => {
      let now = 0;
      const budget = new RestartBudget(max, 1_000, () => now);
      const granted: number[] = [];
      for (const gap of gaps) {
        now += gap;
        const inWindow = granted.filter((t) => now - t < 1_000).length;
        const ok = budget.take();
        expect(ok).toBe(inWindow < max);
        if (ok) granted.push(now);
      }
    }),
  );
});
