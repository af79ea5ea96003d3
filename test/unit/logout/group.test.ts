// The logout publisher's tagging (src/logout/group.ts): ingest tags exactly the events the publisher
// would turn into a message, so the store can skip every other one for the @logout group.
import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../../src/event/canonical.js';
import { CREDENTIAL_CHANGE, SESSION_REVOKED } from '../../../src/event/security-events.js';
import { ENDS_SESSIONS, LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS, logoutTagging } from '../../../src/logout/group.js';
import { translate } from '../../../src/logout/translate.js';
import { canonicalEvent } from '../../support/canonical.js';

const TIME = Date.UTC(2025, 2, 1, 10, 0, 5, 123);
const securityEvent = (type: string): CanonicalEvent =>
  canonicalEvent(TIME, {
    kind: 'security-event',
    type,
    userId: 'u-1',
    sessionId: null,
    details: {},
    source: {
      ...canonicalEvent(TIME).source,
      node: 'ssf',
      format: 'ssf',
      ssf: { issuer: 'https://kc.example.test/realms/r', jti: 'j', txn: null },
    },
  });

const EVENTS: Array<[string, CanonicalEvent]> = [
  ['LOGOUT', canonicalEvent(TIME, { type: 'LOGOUT' })],
  ['LOGIN', canonicalEvent(TIME, { type: 'LOGIN' })],
  ['LOGIN_ERROR', canonicalEvent(TIME, { type: 'LOGIN_ERROR' })],
  ['DELETE_ACCOUNT', canonicalEvent(TIME, { type: 'DELETE_ACCOUNT' })],
  ['LOGOUT without a session', canonicalEvent(TIME, { type: 'LOGOUT', sessionId: null })],
  ['SSF session-revoked', securityEvent(SESSION_REVOKED)],
  ['SSF credential-change', securityEvent(CREDENTIAL_CHANGE)],
];

describe('logoutTagging', () => {
  it.each(['forward', 'logout'] as const)(
    'tags an event exactly when it would publish a message (SSF_CREDENTIAL_CHANGE=%s)',
    (credentialChange) => {
      const { tagsOf } = logoutTagging({ credentialChange });
      for (const [name, event] of EVENTS) {
        const publishes = translate(event, () => 1n, { credentialChange }).length > 0;
        expect(tagsOf(event), name).toEqual({ [ENDS_SESSIONS]: publishes });
      }
      // The table is not trivially all-or-nothing in this sample.
      expect(EVENTS.filter(([, e]) => tagsOf(e)[ENDS_SESSIONS]).length).toBeGreaterThan(1);
      expect(EVENTS.filter(([, e]) => !tagsOf(e)[ENDS_SESSIONS]).length).toBeGreaterThan(1);
    },
  );

  it('a credential change ends sessions only under SSF_CREDENTIAL_CHANGE=logout', () => {
    const event = securityEvent(CREDENTIAL_CHANGE);
    expect(logoutTagging({ credentialChange: 'forward' }).tagsOf(event)[ENDS_SESSIONS]).toBe(false);
    expect(logoutTagging({ credentialChange: 'logout' }).tagsOf(event)[ENDS_SESSIONS]).toBe(true);
  });

  it('the @logout group reads only its tag, and keeps the field name relays before tags wrote', () => {
    expect(LOGOUT_GROUP_OPTIONS).toEqual({ only: ENDS_SESSIONS });
    expect(logoutTagging({ credentialChange: 'forward' }).legacy).toEqual({ tag: 'logout', group: LOGOUT_GROUP });
  });
});
