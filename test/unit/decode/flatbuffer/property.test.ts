// Property tests: random and mutated buffers either decode or throw a KcrError; never another error,
// never a hang, and never a runtime read outside the buffer once the verifier has accepted it.
import fc from 'fast-check';
import { ByteBuffer } from 'flatbuffers';
import { afterAll, describe, expect, it } from 'vitest';
import { Event } from '../../../../generated/emitter2020/event.js';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { SCHEMA_PROFILES, type SchemaProfile } from '../../../../src/event/canonical.js';
import { KcrError } from '../../../../src/errors.js';
import { KNOWN_KEYCLOAK_RELEASES } from '../../../../src/decode/keycloak/keycloak-versions.js';
import { UNKNOWN } from '../../../../src/decode/flatbuffer/profiles.js';
import { base64, bytesOf, fb, golden, guardRuntimeReads, loadGoldens, rootLayout } from '../../../support/flatbuffer-goldens.js';

const restore = guardRuntimeReads();
afterAll(restore);

const goldens = loadGoldens();
const KINDS = ['Event', 'AdminEvent'] as const;

/** Decodes, and checks the outcome is a well-formed result or a KcrError. */
function decodesOrRefuses(bytes: Uint8Array, type: (typeof KINDS)[number], profile: SchemaProfile, release?: string): void {
  let fields;
  const settings = fb(profile, release);
  try {
    fields = decodeFlatBuffer({ type, obj: base64(bytes) }, settings);
  } catch (err) {
    if (err instanceof KcrError) return;
    throw err;
  }
  expect(SCHEMA_PROFILES).toContain(fields.schema);
  expect(fields.kind).toBe(type === 'Event' ? 'event' : 'admin');
  for (const value of Object.values(fields.details)) expect(value === null || typeof value === 'string').toBe(true);
  // Every enum is a constant of the configured Keycloak release, or UNKNOWN.
  const { eventTypes, resourceTypes, operationTypes } = settings.keycloak;
  expect(fields.keycloak).toBe(settings.keycloak.release);
  if (fields.type !== null) expect([...eventTypes, UNKNOWN]).toContain(fields.type);
  if (fields.resourceType !== null) expect([...resourceTypes, UNKNOWN]).toContain(fields.resourceType);
  if (fields.operationType !== null) expect([...operationTypes, UNKNOWN]).toContain(fields.operationType);
  expect(() => JSON.stringify({ ...fields, uid: String(fields.uid) })).not.toThrow();
}

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'word'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'splice'; at: number; remove: number; insert: Uint8Array }
  | { op: 'copy'; from: number; to: number; length: number };

const position = fc.nat({ max: 4095 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('word' as const),
      at: position,
      value: fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(0, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0xffffffff, 50_000_000), fc.nat()),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: position }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('splice' as const),
      at: position,
      remove: fc.nat({ max: 8 }),
      insert: fc.uint8Array({ maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('copy' as const), from: position, to: position, length: fc.nat({ max: 16 }) }) },
);

function mutate(original: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = original.slice();
  for (const m of mutations) {
    const n = bytes.length;
    if (n === 0) break;
    switch (m.op) {
      case 'flip':
        bytes[m.at % n]! ^= 1 << m.bit;
        break;
      case 'word': {
        const at = (m.at % n) & ~3; // mostly where offsets and lengths live
        if (at + 4 <= n) new DataView(bytes.buffer).setUint32(at, m.value >>> 0, true);
        break;
      }
      case 'truncate':
        bytes = bytes.slice(0, m.at % n);
        break;
      case 'splice': {
        const at = m.at % n;
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.insert, ...bytes.subarray(at + m.remove)]);
        break;
      }
      case 'copy':
        bytes.copyWithin(m.to % n, m.from % n, (m.from % n) + m.length);
        break;
    }
  }
  return bytes;
}

it('guards runtime reads: an unverified forged buffer trips the guard', () => {
  const bytes = bytesOf(golden('emitter-2020--event-logout'));
  new DataView(bytes.buffer).setUint32(rootLayout(bytes).target(3), 0x10000, true); // realmId length
  const unverified = Event.getRootAsEvent(new ByteBuffer(bytes));
  expect(() => unverified.realmId()).toThrow(/runtime read of \d+ bytes at \d+ outside/);
});

describe('decodeFlatBuffer never fails other than with a KcrError', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom(...KINDS),
        fc.constantFrom(...SCHEMA_PROFILES),
        (bytes, type, profile) => decodesOrRefuses(bytes, type, profile),
      ),
      { numRuns: 2000 },
    );
  });

  it('on random bytes behind a plausible root offset and vtable', () => {
    // Pure noise rarely gets past the root offset; this starts every buffer like a real one.
    const head = Uint8Array.from([0x0c, 0, 0, 0, 0x00, 0x00, 0x14, 0x00, 0x20, 0x00, 0x04, 0x00, 0x08, 0, 0, 0]);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 200 }), fc.constantFrom(...KINDS), (tail, type) => {
        const bytes = Uint8Array.from([...head, ...tail]);
        decodesOrRefuses(bytes, type, 'emitter-2020');
      }),
      { numRuns: 2000 },
    );
  });

  it('on mutated golden payloads (bit flips, forged words, truncation, splices, copies)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: goldens.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.constantFrom(...SCHEMA_PROFILES),
        fc.constantFrom(...KNOWN_KEYCLOAK_RELEASES),
        (index, mutations, profile, release) => {
          const g = goldens[index]!;
          decodesOrRefuses(mutate(bytesOf(g), mutations), g.type, profile, release);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('on mutated copies of the largest payload', () => {
    const biggest = goldens.reduce((a, b) => (a.obj.length >= b.obj.length ? a : b));
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 8 }), (mutations) =>
        decodesOrRefuses(mutate(bytesOf(biggest), mutations), biggest.type, biggest.profile),
      ),
      { numRuns: 1000 },
    );
  });
});
