// A destination's filter: no criterion means every event, and no predicate to run (its events are
// then never parsed); each criterion set narrows.
import { expect, it } from 'vitest';
import { compileFilter } from '../../src/forward/filter.js';
import { canonicalEvent } from '../support/canonical.js';

it('has no predicate without a criterion (errorsOnly false is none), and one for each criterion set', () => {
  expect(compileFilter({})).toBeNull();
  expect(compileFilter({ errorsOnly: false })).toBeNull();
  const login = canonicalEvent();
  for (const [filter, passes] of [
    [{ errorsOnly: true }, false],
    [{ kinds: ['admin'] as const }, false],
    [{ kinds: ['event'] as const }, true],
    [{ types: ['LOG*'] }, true],
    [{ realms: ['elsewhere'] }, false],
  ] as const) {
    const predicate = compileFilter(filter as never);
    expect(predicate).not.toBeNull();
    expect(predicate!(login)).toBe(passes);
  }
});
