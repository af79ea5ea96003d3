// A destination's filter: no criterion means every event, and no predicate to run (its events are
// then never parsed); each criterion set narrows.
import { expect, it } from 'vitest';
import { destinationsSchema } from '../../../src/config/destinations.js';
import type { DestinationFilter } from '../../../src/forward/destination.js';
import { compileFilter, filterTag, filterTagsOf } from '../../../src/forward/filter.js';
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

it('names a tag after the filter: the same on every replica whatever the key order, another for another filter, none without one', () => {
  const logins = filterTag({ types: ['LOGIN*'], realms: ['master'] });
  expect(logins).toMatch(/^filter\.[0-9a-f]{16}$/);
  expect(filterTag({ realms: ['master'], types: ['LOGIN*'] })).toBe(logins);
  expect(filterTag({ types: ['LOGIN*'], realms: ['other'] })).not.toBe(logins);
  expect(filterTag({})).toBeNull();
  expect(filterTag({ errorsOnly: false })).toBeNull();
});

it("tags an event with each destination filter's verdict, once per distinct filter", () => {
  const destinations: unknown[] = [
    { name: 'a', url: 'http://127.0.0.1:9/a', filter: { types: ['LOGIN'] } },
    { name: 'b', url: 'http://127.0.0.1:9/b', filter: { types: ['LOGIN'] } },
    { name: 'c', url: 'http://127.0.0.1:9/c', filter: { realms: ['other'] } },
    { name: 'all', url: 'http://127.0.0.1:9/all' },
  ];
  const tagsOf = filterTagsOf(destinationsSchema.parse(destinations));
  const [logins, other] = [filterTag({ types: ['LOGIN'] })!, filterTag({ realms: ['other'] })!];
  expect(tagsOf(canonicalEvent())).toEqual({ [logins]: true, [other]: false });
  expect(tagsOf(canonicalEvent(Date.now(), { type: 'LOGOUT', realmId: 'other' }))).toEqual({ [logins]: false, [other]: true });
});
