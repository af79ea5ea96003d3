// The catch-up's mapper (src/sources/keycloak/map-event.ts): any entry Keycloak's admin REST lists
// can hold lands in the canonical fields where it belongs, the p2 webhook of the same Keycloak event
// decodes to the same fields (but the documented differences) and the SAME dedup key, and entries
// the catch-up cannot store once (no id, the other list's kind) are refused with a code. Also each
// real p2 capture, read back as Keycloak's API would give that event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePhaseTwo, phaseTwoDedupKey } from '../../src/decode/phasetwo.js';
import { KcrError } from '../../src/errors.js';
import { mapEvent, mappedDedupKey, type EventList } from '../../src/sources/keycloak/map-event.js';
import { loadPhaseTwoCaptures, PHASETWO_DIR, phaseTwoPresent, skipReason } from '../support/sender-captures.js';

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const origin = { source: 'acme-kc', realm: 'acme' };
const NOW = 1_800_000_000_000;
const LATEST = NOW + 300_000;

const common = {
  id: fc.uuid(),
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  realmId: fc.uuid(),
  error: nullable(text),
  details: nullable(fc.dictionary(text, text, { maxKeys: 5 })),
};

/** Keycloak's EventRepresentation, nulls left out as its admin API does. */
const userRep = fc.record(
  {
    ...common,
    type: fc.stringMatching(/^[A-Z][A-Z_]{0,30}$/),
    clientId: nullable(text),
    userId: nullable(fc.uuid()),
    sessionId: nullable(fc.uuid()),
    ipAddress: nullable(fc.ipV4()),
  },
  { requiredKeys: ['id', 'time', 'type', 'realmId'] },
);

/** Keycloak's AdminEventRepresentation. */
const adminRep = fc.record(
  {
    ...common,
    operationType: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'ACTION'),
    resourceType: fc.constantFrom('USER', 'USER_SESSION', 'REALM', 'CLIENT', 'REALM_ROLE_MAPPING'),
    resourcePath: text,
    representation: nullable(text),
    authDetails: fc.record({ realmId: fc.uuid(), clientId: fc.uuid(), userId: fc.uuid(), ipAddress: fc.ipV4() }),
  },
  { requiredKeys: ['id', 'time', 'realmId', 'operationType', 'resourceType', 'resourcePath', 'authDetails'] },
);

type Rep = Record<string, any>;
const present = (rep: Rep) => JSON.parse(JSON.stringify(rep, (_k, v: unknown) => (v === null ? undefined : v))) as Rep;

/** The webhook p2 sends for the same Keycloak event (its layout: README of the captures). */
function phaseTwoBody(list: EventList, rep: Rep, username: string): Buffer {
  const base = {
    id: rep.id,
    time: rep.time,
    realmId: rep.realmId,
    realmName: 'acme',
    error: rep.error,
    uid: 'p2-delivery-1',
    details: rep.details ?? {},
  };
  const body =
    list === 'events'
      ? {
          ...base,
          authDetails: {
            realmId: 'acme',
            clientId: rep.clientId,
            userId: rep.userId,
            ipAddress: rep.ipAddress,
            username,
            sessionId: rep.sessionId,
          },
          type: `access.${rep.type}`,
        }
      : {
          ...base,
          operationType: rep.operationType,
          resourcePath: rep.resourcePath,
          representation: rep.representation,
          authDetails: { ...rep.authDetails, realmId: 'master', username },
          type: `admin.${rep.resourceType}-${rep.operationType}`,
          resourceType: rep.resourceType,
        };
  return Buffer.from(JSON.stringify(present(body)), 'utf8');
}

/** What mapEvent and the p2 decoder agree on: everything but the origin, and an administrator's realm and name. */
function shared(fields: Rep) {
  const { uid: _uid, format: _format, origin: _origin, schema: _s, keycloak: _k, enumBytes: _e, id: _id, authDetails, ...rest } = fields;
  return { ...rest, authDetails: authDetails === null ? null : { ...authDetails, realmId: 'ignored', username: 'ignored' } };
}

describe('mapEvent', () => {
  it.each([
    ['events', userRep],
    ['admin-events', adminRep],
  ] as const)("%s: every field lands where the other intakes put it, with Keycloak's id as origin", (list, arb) => {
    fc.assert(
      fc.property(arb, (raw) => {
        const rep = present(raw);
        const mapped = mapEvent(list, rep, origin);
        expect(mapped).toMatchObject({ id: rep.id, time: rep.time, uid: null, format: 'keycloak-api', realmId: rep.realmId });
        expect(mapped.origin).toEqual({ keycloakApi: { ...origin, id: rep.id } });
        expect(mapped.error).toBe(rep.error ?? null);
        expect(mapped.details).toEqual(rep.details ?? {});
        if (list === 'events') {
          expect(mapped).toMatchObject({ kind: 'event', type: rep.type, operationType: null, authDetails: null });
          expect([mapped.clientId, mapped.userId, mapped.sessionId, mapped.ipAddress]).toEqual(
            [rep.clientId, rep.userId, rep.sessionId, rep.ipAddress].map((v) => v ?? null),
          );
        } else {
          expect(mapped).toMatchObject({
            kind: 'admin',
            type: null,
            operationType: rep.operationType,
            resourceType: rep.resourceType,
            resourcePath: rep.resourcePath,
            representation: rep.representation ?? null,
            clientId: null,
            userId: null,
            authDetails: { ...rep.authDetails, username: null },
          });
        }
      }),
    );
  });

  it.each([
    ['events', userRep],
    ['admin-events', adminRep],
  ] as const)('%s: the p2 webhook of the same event decodes to the same fields and the same dedup key', (list, arb) => {
    fc.assert(
      fc.property(arb, text, (raw, username) => {
        const rep = present(raw);
        const mapped = mapEvent(list, rep, origin);
        const pushed = decodePhaseTwo(phaseTwoBody(list, rep, username));
        expect(shared(mapped)).toEqual(shared(pushed));
        expect(mappedDedupKey(mapped, LATEST)).toEqual(phaseTwoDedupKey(pushed.origin!.phasetwo!, pushed.time!, LATEST));
      }),
    );
  });

  it('refuses, with a code, what it could not store once or in its place', () => {
    const refused = (list: EventList, entry: unknown) => {
      try {
        mapEvent(list, entry, origin);
      } catch (err) {
        return (err as KcrError).code;
      }
      return 'mapped';
    };
    const user = { id: 'e-1', time: NOW, type: 'LOGIN', realmId: 'r' };
    const admin = { id: 'a-1', time: NOW, realmId: 'r', operationType: 'DELETE', resourceType: 'USER', resourcePath: 'users/u' };
    expect(refused('events', user)).toBe('mapped');
    expect(refused('events', { ...user, id: undefined })).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', { ...user, id: 7 })).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', { ...user, time: undefined })).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', { ...user, uid: '1576827880968781824' })).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', admin)).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('admin-events', user)).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', [user])).toBe('KCR_ERR_SOURCE_ANSWER');
    expect(refused('events', { ...user, details: { n: { nested: true } } })).toBe('KCR_ERR_FIELD_TYPE');
    expect(refused('admin-events', { ...admin, authDetails: 'admin' })).toBe('KCR_ERR_FIELD_TYPE');
  });

  it('never throws anything but a coded error, whatever an entry holds', () => {
    fc.assert(
      fc.property(fc.constantFrom<EventList>('events', 'admin-events'), fc.jsonValue(), (list, entry) => {
        try {
          mapEvent(list, entry, origin);
        } catch (err) {
          expect(err).toBeInstanceOf(KcrError);
        }
      }),
    );
  });
});

describe.skipIf(!phaseTwoPresent)(`each p2 capture, read back from Keycloak's admin API (${PHASETWO_DIR})`, () => {
  const captures = loadPhaseTwoCaptures();
  it.each(captures.map((c) => [c.file, c] as const))('%s: the same fields and dedup key as its webhook', (_file, capture) => {
    const e = capture.expected as typeof capture.expected & { eventSessionId?: string | null; authRealmId?: string };
    const list: EventList = e.kind === 'event' ? 'events' : 'admin-events';
    // The representation Keycloak's API gives for the event p2 delivered.
    const rep =
      list === 'events'
        ? {
            id: e.id,
            time: e.time,
            type: e.keycloakEventType,
            realmId: e.realmId,
            clientId: e.clientId,
            userId: e.userId,
            sessionId: e.eventSessionId ?? null,
            ipAddress: e.ipAddress,
            error: e.error,
            details: e.details,
          }
        : {
            id: e.id,
            time: e.time,
            realmId: e.realmId,
            authDetails: { realmId: e.authRealmId, clientId: e.clientId, userId: e.userId, ipAddress: e.ipAddress },
            operationType: e.operationType,
            resourceType: e.resourceType,
            resourcePath: e.resourcePath,
            representation: e.representation ?? null,
            error: e.error,
            details: e.details,
          };
    const mapped = mapEvent(list, present(rep), origin);
    const pushed = decodePhaseTwo(capture.body);
    // p2 sends the authentication session's id where the request had one (a failed login, a
    // registration): Keycloak's own event names no session there.
    expect(mapped.sessionId).toBe(e.eventSessionId ?? null);
    expect({ ...shared(mapped), sessionId: 'compared above' }).toEqual({ ...shared(pushed), sessionId: 'compared above' });
    if (list === 'admin-events') expect(mapped.authDetails?.realmId).toBe(e.authRealmId);
    expect(mappedDedupKey(mapped, LATEST)).toEqual(phaseTwoDedupKey(pushed.origin!.phasetwo!, pushed.time!, LATEST));
  });
});
if (!phaseTwoPresent) it.skip(`p2 captures read back from the admin API (${skipReason(PHASETWO_DIR)})`, () => {});
