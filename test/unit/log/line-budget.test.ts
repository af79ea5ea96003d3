// The budget of a repeated warning: at most one line per interval, and no occurrence uncounted.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { LineBudget } from '../../../src/log.js';

it('writes at most one line per interval, and the lines account for every occurrence but those after the last', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1_000 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 5 })), { maxLength: 80 }),
      (intervalMs, steps) => {
        let clock = 0;
        const budget = new LineBudget(intervalMs, () => clock);
        const lines: Array<{ at: number; count: number }> = [];
        let sinceLastLine = 0;
        for (const [advance, n] of steps) {
          clock += advance;
          sinceLastLine += n;
          const count = budget.add(n);
          if (count === null) continue;
          expect(count).toBe(sinceLastLine);
          sinceLastLine = 0;
          lines.push({ at: clock, count });
        }
        // The first occurrence is always told at once.
        if (steps.length > 0) expect(lines[0]?.at).toBe(steps[0]![0]);
        for (let i = 1; i < lines.length; i++) expect(lines[i]!.at - lines[i - 1]!.at).toBeGreaterThanOrEqual(intervalMs);
      },
    ),
    { numRuns: 300 },
  );
});
