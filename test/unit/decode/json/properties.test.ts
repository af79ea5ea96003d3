import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { decodeBodyText } from '../../../../src/decode/charset.js';
import { type DecodeContext, decodeEvent } from '../../../support/decode-event.js';
import { parseJsonBody } from '../../../../src/decode/json-body.js';
import { decodeJsonEvent } from '../../../../src/decode/json-event.js';
import { KCR_ERR_FLATBUFFER, KcrError } from '../../../../src/errors.js';
import { INT64_MAX, INT64_MIN } from '../../../../src/event/snowflake.js';
import { decodeSettings } from '../../../support/decode-settings.js';

// Stands in for the FlatBuffer decoder, which has its own properties: it fails the way it is meant to.
vi.mock('../../../../src/decode/flatbuffer/decode-flatbuffer.js', () => ({ decodeFlatBuffer: vi.fn() }));
vi.mocked(decodeFlatBuffer).mockImplementation(() => {
  throw KCR_ERR_FLATBUFFER('stub');
});

const ctx: DecodeContext = {
  settings: decodeSettings('emitter-2018'),
  node: 'kc-node-1',
  // After the largest uid time (2084), so every non-negative uid passes the time check.
  nowMs: Date.parse('2090-01-01T00:00:00.000Z'),
  maxFutureSkewMs: 300_000,
  assignUid: () => 1345334773027176448n,
};

/** Runs decodeEvent and fails the property on anything thrown that is not a KcrError. */
/** As the emitter sends it: Java's ISO-8859-1 encoder writes '?' for characters outside Latin-1. */
const encode = (text: string, encoding: 'utf8' | 'latin1'): Buffer =>
  encoding === 'utf8' ? Buffer.from(text, 'utf8') : Buffer.from(text.replace(/[^\u0000-\u00ff]/gu, '?'), 'latin1');

const onlyKcrErrors = (body: Buffer): void => {
  try {
    decodeEvent(body, ctx);
  } catch (err) {
    if (!(err instanceof KcrError)) throw err;
  }
};

const FIELDS = [
  'id',
  'time',
  'type',
  'realmId',
  'realmName',
  'clientId',
  'userId',
  'sessionId',
  'ipAddress',
  'error',
  'details',
  'uid',
  'authDetails',
  'extAuthDetails',
  'operationType',
  'resourceType',
  'resourcePath',
  'representation',
  'obj',
] as const;

const eventLikeValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('Event', 'AdminEvent', 'LOGIN', 'USER', '7311288319461113857', '-1', 'AAAA'),
  fc.bigInt({ min: INT64_MIN * 4n, max: INT64_MAX * 4n }).map((n) => ({ raw: n.toString() })),
  fc.dictionary(fc.constantFrom('realmId', 'userId', 'username', 'ipAddress', 'k'), fc.jsonValue({ maxDepth: 1 })),
);

type Raw = { raw: string };
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && 'raw' in v;
/** JSON text in which `{raw}` values are written as bare numbers: JSON.stringify cannot write an int64. */
const toJson = (value: unknown): string => {
  if (isRaw(value)) return value.raw;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** Objects over the emitter's field names with values of any JSON type: mostly refused. */
const eventLikeJson = fc.dictionary(fc.constantFrom(...FIELDS), eventLikeValue, { maxKeys: 12 }).map(toJson);

// Well-typed Events and AdminEvents, every field optional or null: always decoded.
const text = fc.option(fc.string({ unit: 'binary', maxLength: 24 }), { nil: null });
const rawUid = fc.option(
  fc.bigInt({ min: 0n, max: INT64_MAX }).map((n): Raw => ({ raw: n.toString() })),
  { nil: null },
);
const time = fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: null });
const details = fc.option(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null))),
  { nil: null },
);
const authDetails = fc.option(
  fc.record({ realmId: text, realmName: text, clientId: text, userId: text, username: text, ipAddress: text }, { requiredKeys: [] }),
  { nil: null },
);
const wellTypedEvent = fc.record(
  {
    id: fc.constant(null),
    time,
    type: text,
    realmId: text,
    realmName: text,
    clientId: text,
    userId: text,
    sessionId: text,
    ipAddress: text,
    error: text,
    details,
    uid: rawUid,
  },
  { requiredKeys: ['type'] },
);
const wellTypedAdmin = fc.record(
  {
    id: fc.constant(null),
    time,
    realmId: text,
    authDetails,
    extAuthDetails: authDetails,
    resourceType: text,
    operationType: text,
    resourcePath: text,
    representation: text,
    error: text,
    details,
    uid: rawUid,
  },
  { requiredKeys: ['operationType'] },
);

describe('decodeEvent never throws anything but a KcrError', () => {
  it('for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyKcrErrors(Buffer.from(bytes))),
      { numRuns: 2000 },
    );
  });

  it('for arbitrary text, in UTF-8 and in Latin-1', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        onlyKcrErrors(Buffer.from(text, 'utf8'));
        onlyKcrErrors(Buffer.from(text, 'latin1'));
      }),
      { numRuns: 1000 },
    );
  });

  it('for arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => onlyKcrErrors(Buffer.from(JSON.stringify(value) ?? 'null'))),
      {
        numRuns: 1000,
      },
    );
  });

  it("for objects over the emitter's field names with arbitrary values", () => {
    fc.assert(
      fc.property(eventLikeJson, (json) => {
        onlyKcrErrors(Buffer.from(json, 'utf8'));
        onlyKcrErrors(Buffer.from(json, 'latin1'));
      }),
      { numRuns: 3000 },
    );
  });

  it('for well-typed bodies, which always decode, keeping their fields', () => {
    fc.assert(
      fc.property(fc.oneof(wellTypedEvent, wellTypedAdmin), fc.constantFrom('utf8' as const, 'latin1' as const), (obj, encoding) => {
        const body = encode(toJson(obj), encoding);
        // Latin-1 cannot carry every character: compare with what the body says, charset aside.
        const sent = JSON.parse(decodeBodyText(body, null, 'auto')) as Record<string, unknown>;
        const event = decodeEvent(body, ctx);
        expect(event.kind).toBe('operationType' in obj ? 'admin' : 'event');
        expect(event.uid).toBe(obj.uid === null || obj.uid === undefined ? '1345334773027176448' : obj.uid.raw);
        expect(event.source.uidAssigned).toBe(obj.uid === null || obj.uid === undefined);
        expect(event.realmId).toBe(sent.realmId ?? null);
        expect(event.time).toBe(sent.time ?? null);
        expect(Object.keys(event.details)).toEqual(Object.keys((sent.details as object | null) ?? {}));
        for (const v of Object.values(event.details)) expect(v === null || typeof v === 'string').toBe(true);
        expect(JSON.parse(JSON.stringify(event))).toEqual(event);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the uid survives JSON losslessly', () => {
  const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });

  it('any int64, as a JSON number or a decimal string, decodes to itself', () => {
    fc.assert(
      fc.property(int64, fc.boolean(), (uid, quoted) => {
        const text = quoted ? `"${uid}"` : `${uid}`;
        const decoded = decodeJsonEvent(parseJsonBody(`{"time":1700000000000,"type":"LOGIN","uid":${text},"realmId":"r"}`));
        expect(decoded.uid).toBe(uid);
      }),
      { numRuns: 2000 },
    );
  });

  it('any non-negative int64 in a body comes out as the same decimal string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: INT64_MAX }), (uid) => {
        const event = decodeEvent(Buffer.from(`{"operationType":"ACTION","resourceType":"USER","uid":${uid}}`), ctx);
        expect(event.uid).toBe(uid.toString());
        expect(event.source.uidAssigned).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
