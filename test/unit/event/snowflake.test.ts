import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KcrError } from '../../../src/errors.js';
import {
  composeUid,
  INT64_MAX,
  INT64_MIN,
  parseUid,
  UID_EPOCH_MS,
  UidAssigner,
  uidFields,
  uidToDecimal,
} from '../../../src/event/snowflake.js';

const uidInvalid = (text: string): string => {
  try {
    parseUid(text);
  } catch (err) {
    expect(err).toBeInstanceOf(KcrError);
    expect((err as KcrError).code).toBe('KCR_ERR_UID_INVALID');
    return (err as KcrError).message;
  }
  throw new Error(`parseUid(${JSON.stringify(text)}) did not throw`);
};

describe('parseUid', () => {
  it('keeps every digit of uids that a double would round', () => {
    expect(parseUid('7311288319461113856')).toBe(7311288319461113856n);
    expect(parseUid('7311288319461113857')).toBe(7311288319461113857n);
    expect(uidToDecimal(parseUid('7311288319461113857'))).toBe('7311288319461113857');
  });

  it('accepts the int64 bounds, zero and negatives', () => {
    expect(parseUid('9223372036854775807')).toBe(INT64_MAX);
    expect(parseUid('-9223372036854775808')).toBe(INT64_MIN);
    expect(parseUid('0')).toBe(0n);
    expect(parseUid('-0')).toBe(0n);
    expect(parseUid('-42')).toBe(-42n);
  });

  it('refuses non-canonical or out-of-range text, saying why', () => {
    expect(uidInvalid('')).toContain('empty');
    expect(uidInvalid('+5')).toContain('"+"');
    expect(uidInvalid('1e18')).toContain('exponent');
    expect(uidInvalid('12.0')).toContain('fraction');
    expect(uidInvalid('007')).toContain('leading zeros');
    expect(uidInvalid(' 5')).toContain('not a decimal integer');
    expect(uidInvalid('0x1f')).toContain('not a decimal integer');
    expect(uidInvalid('9223372036854775808')).toContain('range');
    expect(uidInvalid('-9223372036854775809')).toContain('range');
    expect(uidInvalid('1'.repeat(5000))).toContain('range');
  });

  it('round-trips every int64 through its decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (uid) => {
        expect(parseUid(uidToDecimal(uid))).toBe(uid);
      }),
    );
  });
});

describe('uidFields / composeUid', () => {
  it('reads the emitter layout', () => {
    // 2018-11-22T09:14:03.512Z, datacenter 1, keycloak 3, sequence 0 (as cloudtrust IdGenerator builds it)
    expect(uidFields(515092590414102528n)).toEqual({
      timeMs: Date.parse('2018-11-22T09:14:03.512Z'),
      datacenterId: 1,
      keycloakId: 3,
      sequence: 0,
    });
    expect(uidFields(INT64_MAX)).toEqual({
      timeMs: Date.parse('2084-09-06T15:47:35.551Z'),
      datacenterId: 3,
      keycloakId: 31,
      sequence: 32767,
    });
    expect(uidFields(-1n).timeMs).toBe(UID_EPOCH_MS - 1);
  });

  it('composes and decomposes any field values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: UID_EPOCH_MS - 2 ** 41, max: UID_EPOCH_MS + 2 ** 41 - 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 32767 }),
        (timeMs, datacenterId, keycloakId, sequence) => {
          const fields = { timeMs, datacenterId, keycloakId, sequence };
          const uid = composeUid(fields);
          expect(uid >= INT64_MIN && uid <= INT64_MAX).toBe(true);
          expect(uidFields(uid)).toEqual(fields);
        },
      ),
    );
  });

  it('decomposes and recomposes any int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (uid) => {
        expect(composeUid(uidFields(uid))).toBe(uid);
      }),
    );
  });

  it('refuses fields outside their bits', () => {
    const ok = { timeMs: UID_EPOCH_MS, datacenterId: 0, keycloakId: 0, sequence: 0 };
    expect(() => composeUid({ ...ok, datacenterId: 4 })).toThrow(RangeError);
    expect(() => composeUid({ ...ok, keycloakId: 32 })).toThrow(RangeError);
    expect(() => composeUid({ ...ok, sequence: 32768 })).toThrow(RangeError);
    expect(() => composeUid({ ...ok, sequence: 1.5 })).toThrow(RangeError);
    expect(() => composeUid({ ...ok, timeMs: UID_EPOCH_MS + 2 ** 41 })).toThrow(RangeError);
  });
});

describe('UidAssigner', () => {
  const t0 = Date.parse('2025-03-01T10:00:00.000Z');

  it('puts the clock time in the emitter time bits', () => {
    const uid = new UidAssigner({ workerId: 5, now: () => t0 }).next();
    expect(typeof uid).toBe('bigint');
    expect(uidFields(uid).timeMs).toBe(t0);
  });

  it('marks assigned uids with a sequence the emitter never reaches', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 1, max: 5000 }), (workerId, count) => {
        const assigner = new UidAssigner({ workerId, now: () => t0 });
        let uid = 0n;
        for (let i = 0; i < count; i++) uid = assigner.next();
        expect(uidFields(uid).sequence).toBeGreaterThanOrEqual(16384);
      }),
      { numRuns: 30 },
    );
  });

  it('never repeats and never decreases, even with a stuck or backward clock', () => {
    const times = [t0, t0, t0 - 5, t0 + 1, t0 + 1, t0 - 1000];
    let i = 0;
    const assigner = new UidAssigner({ workerId: 0, now: () => times[i++ % times.length] ?? t0 });
    let previous = -1n;
    for (let n = 0; n < 20_000; n++) {
      const uid = assigner.next();
      expect(uid > previous).toBe(true);
      previous = uid;
    }
  });

  it('borrows the next ms after 1024 uids in one ms', () => {
    const assigner = new UidAssigner({ workerId: 0, now: () => t0 });
    const uids = Array.from({ length: 1025 }, () => assigner.next());
    expect(uidFields(uids[1023] ?? 0n).timeMs).toBe(t0);
    expect(uidFields(uids[1024] ?? 0n).timeMs).toBe(t0 + 1);
    expect(new Set(uids).size).toBe(1025);
  });

  it('gives distinct uids to distinct workers in the same ms', () => {
    const uids = Array.from({ length: 32 }, (_, workerId) => new UidAssigner({ workerId, now: () => t0 }).next());
    expect(new Set(uids).size).toBe(32);
  });

  it('refuses a worker id outside 0..31', () => {
    expect(() => new UidAssigner({ workerId: 32 })).toThrow(RangeError);
    expect(() => new UidAssigner({ workerId: -1 })).toThrow(RangeError);
  });

  // WORKERS: the processes of one replica share RELAY_WORKER_ID and run the same clock.
  it('never gives two processes, of one replica or of two, the same uid, and keeps the marker', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ workerId: fc.integer({ min: 0, max: 31 }), processIndex: fc.integer({ min: 0, max: 63 }) }), {
          minLength: 2,
          maxLength: 6,
          selector: (p) => `${p.workerId}/${p.processIndex}`,
        }),
        fc.integer({ min: 1, max: 3000 }),
        (processes, count) => {
          const seen = new Set<bigint>();
          for (const p of processes) {
            const assigner = new UidAssigner({ ...p, now: () => t0 });
            for (let i = 0; i < count; i++) {
              const uid = assigner.next();
              expect(seen.has(uid)).toBe(false);
              seen.add(uid);
              expect(uidFields(uid).sequence).toBeGreaterThanOrEqual(16384);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives each of the 64 process indexes of a worker id its own first uid', () => {
    const uids = Array.from({ length: 64 }, (_, processIndex) => new UidAssigner({ workerId: 3, processIndex, now: () => t0 }).next());
    expect(new Set(uids).size).toBe(64);
  });

  it('refuses a process index outside 0..63', () => {
    expect(() => new UidAssigner({ workerId: 0, processIndex: 64 })).toThrow(RangeError);
    expect(() => new UidAssigner({ workerId: 0, processIndex: -1 })).toThrow(RangeError);
  });
});
