// One test per row of the session-ending table, from realistic bodies of both emitter formats
// decoded as ingest decodes them, plus the events that must publish nothing.
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../../support/decode-event.js';
import type { CanonicalEvent } from '../../../src/event/canonical.js';
import { disablesUser, endsSessions, LOGOUT_TABLE, translate } from '../../../src/logout/translate.js';
import type { LogoutMessage } from '../../../src/logout/message.js';
import { CREDENTIAL_CHANGE, SESSION_REVOKED } from '../../../src/event/security-events.js';
import { BODY_FORMATS, NOTHING, notBeforeOf, REALM, ROWS, type LogoutCase } from '../../support/logout-cases.js';
import { canonicalEvent } from '../../support/canonical.js';
import { uidAt } from '../../support/payloads.js';
import { decodeSettings } from '../../support/decode-settings.js';

const TIME = Date.UTC(2025, 2, 1, 10, 0, 5, 123);

function decoded(c: LogoutCase, format: keyof typeof BODY_FORMATS, uid: string): CanonicalEvent {
  const body = BODY_FORMATS[format](c, uid, TIME);
  return decodeEvent(Buffer.from(body), {
    settings: decodeSettings('emitter-kc26'),
    node: 'kc-node-1',
    nowMs: TIME + 50,
    maxFutureSkewMs: 300_000,
    assignUid: () => 1n,
  });
}

const ids = () => {
  let next = 7000n;
  return () => next++;
};

describe.each(Object.keys(BODY_FORMATS) as Array<keyof typeof BODY_FORMATS>)('%s bodies', (format) => {
  it.each(ROWS.map((c) => [c.name, c] as const))('%s -> one message', (_name, c) => {
    const uid = uidAt(TIME);
    const event = decoded(c, format, uid);
    expect(event.source.format).toBe(format);
    expect(translate(event, ids())).toEqual([
      { v: 1, id: '7000', ...c.expected, realmId: REALM, notBefore: notBeforeOf(TIME), eventUid: uid, time: TIME },
    ]);
  });

  it.each(NOTHING.map((c) => [c.name, c] as const))('%s -> nothing', (_name, c) => {
    expect(translate(decoded(c, format, uidAt(TIME)), ids())).toEqual([]);
  });
});

describe('translate', () => {
  it('has a test case for every row of the table', () => {
    const reasons = new Set([...ROWS, ...SECURITY_ROWS].map((c) => `${c.expected?.kind}/${c.expected?.reason}`));
    for (const row of LOGOUT_TABLE) expect(reasons).toContain(`${row.kind}/${row.reason}`);
  });

  it('publishes nothing for an event without realm, or without the id its kind needs', () => {
    const logout = { type: 'LOGOUT', time: TIME };
    expect(translate(canonicalEvent(TIME, { ...logout, realmId: null }), ids())).toEqual([]);
    expect(translate(canonicalEvent(TIME, { ...logout, sessionId: null }), ids())).toEqual([]);
    expect(translate(canonicalEvent(TIME, { type: 'DELETE_ACCOUNT', userId: null }), ids())).toEqual([]);
  });

  it('falls back to the uid time when Keycloak time is missing, and rounds notBefore past the second', () => {
    const [m] = translate(canonicalEvent(TIME, { type: 'LOGOUT', time: null }), ids());
    expect(m).toMatchObject({ time: TIME, notBefore: Math.floor(TIME / 1000) + 1 });
    const [exact] = translate(canonicalEvent(TIME, { type: 'LOGOUT', time: 1_740_823_205_000 }), ids());
    expect(exact?.notBefore).toBe(1_740_823_206);
  });

  it("caps notBefore at the second after the event's arrival: a time in the future revokes nothing issued after it", () => {
    const receivedAt = new Date(TIME + 250).toISOString();
    for (const time of [Date.UTC(2100, 0, 1), TIME + 3 * 60_000]) {
      const [m] = translate(canonicalEvent(TIME, { type: 'LOGOUT', time, receivedAt }), ids());
      // Keycloak's time is reported as it came; the revocation is the relay's to bound.
      expect(m).toMatchObject({ time, notBefore: Math.floor((TIME + 250) / 1000) + 1 });
    }
  });

  it('tolerates a leading slash or a query on the admin resource path, and rejects a malformed escape', () => {
    const admin = (resourcePath: string) =>
      canonicalEvent(TIME, {
        kind: 'admin',
        type: null,
        resourceType: 'USER',
        operationType: 'ACTION',
        resourcePath,
        userId: null,
        sessionId: null,
      });
    expect(translate(admin('/users/u1/logout?x=1'), ids())).toMatchObject([{ kind: 'user', userId: 'u1' }]);
    expect(translate(admin('users/%E0%A4%A/logout'), ids())).toEqual([]);
  });

  it('falls back to the event clientId for REVOKE_GRANT without revoked_client (emitter-2018 golden shape)', () => {
    const [m] = translate(canonicalEvent(TIME, { type: 'REVOKE_GRANT', clientId: 'mobile-app', sessionId: null, details: {} }), ids());
    expect(m).toMatchObject({ kind: 'user', reason: 'consent-revoked', clientId: 'mobile-app' });
  });
});

/** A Security Event Token as POST /ssf/push stores it (src/decode/security-event.ts). */
const securityEvent = (type: string, ids: Partial<CanonicalEvent>) =>
  canonicalEvent(TIME, {
    kind: 'security-event',
    type,
    realmId: REALM,
    clientId: null,
    ipAddress: null,
    details: {},
    ...ids,
    source: { ...canonicalEvent(TIME).source, node: 'ssf', format: 'ssf', ssf: { issuer: ISSUER, jti: 'jti-1', txn: null } },
  });
const ISSUER = 'https://kc.example.test/realms/corp';
const EMAIL = 'zoe@example.test';

const SECURITY_ROWS: Array<{ name: string; event: CanonicalEvent; expected: Partial<LogoutMessage> }> = [
  {
    name: 'session-revoked naming a session',
    event: securityEvent(SESSION_REVOKED, { userId: 'u-1', sessionId: 's-1' }),
    expected: { kind: 'session', reason: 'session-revoked', userId: 'u-1', sessionId: 's-1' },
  },
  {
    name: 'session-revoked naming none (Keycloak\'s "ALL")',
    event: securityEvent(SESSION_REVOKED, { userId: 'u-1', sessionId: null }),
    expected: { kind: 'user', reason: 'session-revoked', userId: 'u-1', sessionId: null },
  },
  {
    name: 'session-revoked of an email subject',
    event: securityEvent(SESSION_REVOKED, { userId: null, sessionId: null, details: { email: EMAIL } }),
    expected: { kind: 'user', reason: 'session-revoked', userId: null, email: EMAIL },
  },
  {
    name: 'credential-change under SSF_CREDENTIAL_CHANGE=logout',
    event: securityEvent(CREDENTIAL_CHANGE, { userId: 'u-1', sessionId: null }),
    expected: { kind: 'user', reason: 'credential-change', userId: 'u-1' },
  },
];

describe('security events (SSF)', () => {
  it.each(SECURITY_ROWS.map((c) => [c.name, c] as const))('%s -> one message with the SET issuer and jti', (_name, c) => {
    const [message, ...more] = translate(c.event, ids(), { credentialChange: 'logout' });
    expect(more).toEqual([]);
    expect(message).toMatchObject({ ...c.expected, realmId: REALM, issuer: ISSUER, jti: 'jti-1', notBefore: notBeforeOf(TIME) });
  });

  it('ends nothing for a credential change by default, for another SET type, or without a subject', () => {
    expect(translate(securityEvent(CREDENTIAL_CHANGE, { userId: 'u-1' }), ids())).toEqual([]);
    expect(endsSessions(securityEvent(CREDENTIAL_CHANGE, { userId: 'u-1' }))).toBe(false);
    expect(endsSessions(securityEvent(CREDENTIAL_CHANGE, { userId: 'u-1' }), { credentialChange: 'logout' })).toBe(true);
    expect(
      translate(securityEvent('https://schemas.openid.net/secevent/risc/event-type/account-disabled', { userId: 'u-1' }), ids()),
    ).toEqual([]);
    expect(translate(securityEvent(SESSION_REVOKED, { userId: null, sessionId: null }), ids())).toEqual([]);
    // An emitter event of the same type name is not a security event.
    expect(translate(canonicalEvent(TIME, { type: SESSION_REVOKED }), ids())).toEqual([]);
  });
});

describe('disablesUser', () => {
  it.each([
    ['{"enabled":false}', true],
    ['{"username":"a","enabled":true}', false],
    ['{"attributes":{"enabled":["false"]}}', false],
    ['[false]', false],
    ['{"username":"a","enabled" : false, "email":"a@', true],
    ['{"username":"a","email":"a@', false],
    ['', false],
  ])('%s -> %s', (representation, expected) => {
    expect(disablesUser(representation)).toBe(expected);
  });
});
