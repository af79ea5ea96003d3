// The Phase Two decoder on its own: any body p2 could send round-trips to the fields it carried
// (the canonical event and its origin hold every one of them), any other bytes give a coded,
// quarantinable error and never a throw of anything else; and the dedup key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePhaseTwo, phaseTwoDedupKey } from '../../../src/decode/phasetwo.js';
import type { DecodedBody } from '../../../src/decode/index.js';
import { KcrError } from '../../../src/errors.js';

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const AUTH_FIELDS = ['realmId', 'clientId', 'userId', 'ipAddress', 'username', 'sessionId'] as const;

/** p2's authDetails: each field present or not (Jackson omits nulls). */
const authDetails = fc.record(Object.fromEntries(AUTH_FIELDS.map((f) => [f, text])) as Record<(typeof AUTH_FIELDS)[number], typeof text>, {
  requiredKeys: [],
});

const common = {
  id: optional(fc.uuid()),
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  realmId: optional(fc.uuid()),
  realmName: optional(text),
  uid: fc.uuid(),
  authDetails: optional(authDetails),
  details: fc.dictionary(text, fc.option(text, { nil: null }), { maxKeys: 5 }),
  error: optional(text),
};

/** A user event as p2 writes it: `access.<EventType>`. */
const userEvent = fc.record(
  { ...common, eventType: fc.stringMatching(/^[A-Z][A-Z_]{0,30}$/) },
  { requiredKeys: ['time', 'uid', 'details', 'eventType'] },
);

/** An admin event: `admin.<resourceType>-<operationType>`, with the two fields also on their own. */
const adminEvent = fc.record(
  {
    ...common,
    operationType: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'ACTION'),
    resourceType: fc.stringMatching(/^[A-Z][A-Z_]{0,30}$/),
    resourcePath: optional(text),
    representation: optional(text),
    resourceId: optional(text),
    fieldsSent: fc.boolean(),
  },
  { requiredKeys: ['time', 'uid', 'details', 'operationType', 'resourceType', 'fieldsSent'] },
);

type UserEvent = typeof userEvent extends fc.Arbitrary<infer T> ? T : never;
type AdminEvent = typeof adminEvent extends fc.Arbitrary<infer T> ? T : never;

/** Members in p2's order, absent ones left out, as Jackson writes them. */
function bodyOf(e: UserEvent | AdminEvent): Record<string, unknown> {
  const admin = 'operationType' in e;
  const ordered: Array<[string, unknown]> = [
    ['id', e.id],
    ['time', e.time],
    ['realmId', e.realmId],
    ['realmName', e.realmName],
    ...(admin
      ? ([
          ['operationType', e.fieldsSent ? e.operationType : undefined],
          ['resourcePath', e.resourcePath],
          ['representation', e.representation],
        ] as Array<[string, unknown]>)
      : []),
    ['error', e.error],
    ['uid', e.uid],
    ['authDetails', e.authDetails],
    ['details', e.details],
    ['type', admin ? `admin.${e.resourceType}-${e.operationType}` : `access.${e.eventType}`],
    ...(admin
      ? ([
          ['resourceType', e.fieldsSent ? e.resourceType : undefined],
          ['resourceId', e.resourceId],
        ] as Array<[string, unknown]>)
      : []),
  ];
  return Object.fromEntries(ordered.filter(([, v]) => v !== undefined));
}

/** The fields of a p2 body, read back from what the decoder made of it. */
function carried(d: DecodedBody): Record<string, unknown> {
  const p2 = d.origin!.phasetwo!;
  const sent = p2.authDetails;
  const authDetails = sent && Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== null));
  const admin = d.kind === 'admin';
  const fields: Record<string, unknown> = {
    id: p2.id,
    time: d.time,
    realmId: d.realmId,
    realmName: p2.realmName,
    error: d.error,
    uid: p2.uid,
    authDetails,
    details: d.details,
    type: p2.type,
    ...(admin ? { resourcePath: d.resourcePath, representation: d.representation, resourceId: p2.resourceId } : {}),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null && v !== undefined));
}

const decode = (obj: Record<string, unknown>) => decodePhaseTwo(Buffer.from(JSON.stringify(obj), 'utf8'), 'application/json');

describe('decodePhaseTwo', () => {
  it('round-trips any user event body to the fields it carried, client, user, session and address from authDetails', () => {
    fc.assert(
      fc.property(userEvent, (e) => {
        const body = bodyOf(e);
        const d = decode(body);
        const { resourceType: _r, operationType: _o, resourceId: _i, ...expected } = body;
        expect(carried(d)).toEqual(expected);
        expect(d).toMatchObject({
          kind: 'event',
          type: e.eventType,
          format: 'phasetwo',
          uid: null,
          clientId: e.authDetails?.clientId ?? null,
          userId: e.authDetails?.userId ?? null,
          sessionId: e.authDetails?.sessionId ?? null,
          ipAddress: e.authDetails?.ipAddress ?? null,
          authDetails: null,
        });
      }),
    );
  });

  it('round-trips any admin event body, the operation and resource from the type when the fields are left out', () => {
    fc.assert(
      fc.property(adminEvent, (e) => {
        const body = bodyOf(e);
        const d = decode(body);
        const { resourceType: _r, operationType: _o, ...expected } = body;
        expect(carried(d)).toEqual(expected);
        expect(d).toMatchObject({ kind: 'admin', type: null, operationType: e.operationType, resourceType: e.resourceType });
        // The administrator's realm arrives as a name: never in the canonical id field.
        expect(d.authDetails).toEqual(
          e.authDetails
            ? {
                realmId: null,
                clientId: e.authDetails.clientId ?? null,
                userId: e.authDetails.userId ?? null,
                username: e.authDetails.username ?? null,
                ipAddress: e.authDetails.ipAddress ?? null,
              }
            : null,
        );
      }),
    );
  });

  it('answers any other bytes with a quarantinable KcrError, never another throw', () => {
    const member = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('access.LOGIN', 'admin.USER-DELETE', 'admin.-', 'access.'));
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc
        .dictionary(fc.constantFrom('id', 'uid', 'time', 'type', 'details', 'authDetails', 'realmId', 'resourceType'), member)
        .map((o) => Buffer.from(JSON.stringify(o))),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          decodePhaseTwo(body);
        } catch (err) {
          expect(err).toBeInstanceOf(KcrError);
          expect((err as KcrError).quarantinable).toBe(true);
        }
      }),
    );
  });

  it.each([
    ['no type', { uid: 'u', time: 1 }, /"type" is nothing/],
    ['a type of another sender', { uid: 'u', time: 1, type: 'LOGIN' }, /neither access/],
    ['no time', { uid: 'u', type: 'access.LOGIN' }, /"time" is missing/],
    ['neither id nor uid', { time: 1, type: 'access.LOGIN' }, /neither "id" nor "uid"/],
    ['not JSON', '{"uid":', /not a Phase Two webhook event: Body is not a JSON object/],
  ])('refuses %s with KCR_ERR_PHASETWO_BODY', (_name, body, message) => {
    const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    expect(() => decodePhaseTwo(bytes)).toThrow(message);
  });
});

describe('phaseTwoDedupKey', () => {
  const origin = { id: 'e-1', uid: 'd-1', type: 'access.LOGIN', realmName: null, resourceId: null, authDetails: null };

  it("is Keycloak's event id whatever the delivery, else p2's uid, never a decimal, never past the latest time", () => {
    const a = phaseTwoDedupKey(origin, 1_000, 5_000);
    expect(phaseTwoDedupKey({ ...origin, uid: 'd-2' }, 1_000, 5_000)).toEqual(a);
    expect(phaseTwoDedupKey({ ...origin, id: null }, 1_000, 5_000).key).not.toBe(a.key);
    expect(phaseTwoDedupKey({ ...origin, id: null }, 1_000, 5_000)).toEqual(
      phaseTwoDedupKey({ ...origin, id: null, uid: 'd-1' }, 1_000, 9_000),
    );
    expect(a.key).toMatch(/^phasetwo:id:[A-Za-z0-9_-]{43}$/);
    expect(phaseTwoDedupKey(origin, 9_000_000, 5_000).timeMs).toBe(5_000);
  });
});
