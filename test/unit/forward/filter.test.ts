// A destination's filter: no criterion means every event, and no predicate to run (its events are
// then never parsed); each criterion set narrows.
import { expect, it } from 'vitest';
import type { DestinationFilter } from '../../../src/forward/destination.js';
import { compileFilter } from '../../../src/forward/filter.js';
import { canonicalEvent } from '../../support/canonical.js';

it('has no predicate without a criterion (errorsOnly false is none), and one for each criterion set', () => {
  expect(compileFilter({})).toBeNull();
  expect(compileFilter({ errorsOnly: false })).toBeNull();
  const login = canonicalEvent();
  const cases: Array<[DestinationFilter, boolean]> = [
    [{ errorsOnly: true }, false],
    [{ kinds: ['admin'] }, false],
    [{ kinds: ['event'] }, true],
    [{ types: ['LOG*'] }, true],
    [{ realms: ['elsewhere'] }, false],
  ];
  for (const [filter, passes] of cases) {
    const predicate = compileFilter(filter);
    expect(predicate).not.toBeNull();
    expect(predicate!(login)).toBe(passes);
  }
});

it('picks security events by kind, and by their event type URI as type', () => {
  const set = canonicalEvent(Date.now(), {
    kind: 'security-event',
    type: 'https://schemas.openid.net/secevent/caep/event-type/session-revoked',
  });
  expect(compileFilter({ kinds: ['security-event'] })!(set)).toBe(true);
  expect(compileFilter({ kinds: ['security-event'] })!(canonicalEvent())).toBe(false);
  expect(compileFilter({ types: ['*session-revoked'] })!(set)).toBe(true);
  expect(compileFilter({ types: ['*credential-change'] })!(set)).toBe(false);
});
