// The route schemas shared by the HTTP layer: the uid (on parseUid: every signed 64-bit integer in
// canonical decimal, nothing else, never through a JS number) and the clamped `limit`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INT64_MAX, INT64_MIN } from '../../src/event/snowflake.js';
import { limit, uid } from '../../src/http/schemas.js';

describe('uid', () => {
  it('reads every signed 64-bit integer exactly, from its canonical decimal', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (n) => {
        expect(uid.parse(n.toString())).toBe(n);
      }),
    );
    expect(uid.parse('9223372036854775807')).toBe(INT64_MAX);
    expect(uid.parse('-9223372036854775808')).toBe(INT64_MIN);
  });

  it('refuses integers out of range, whatever their length', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: INT64_MAX + 1n, max: 1n << 80n }), fc.bigInt({ min: -(1n << 80n), max: INT64_MIN - 1n })),
        (n) => {
          const result = uid.safeParse(n.toString());
          expect(result.success).toBe(false);
          expect(result.error?.issues[0]?.message).toContain('out of the signed 64-bit range');
        },
      ),
    );
  });

  it('refuses what is not a canonical decimal', () => {
    for (const text of ['', '007', '+1', '1e3', '1.0', '12a', ' 1', '0x10']) {
      expect(uid.safeParse(text).success, JSON.stringify(text)).toBe(false);
    }
  });
});

describe('limit', () => {
  it('is always an integer in [1, max], the fallback when absent or not a number', () => {
    const schema = limit(20, 500);
    fc.assert(
      fc.property(fc.option(fc.oneof(fc.integer().map(String), fc.double().map(String), fc.string()), { nil: undefined }), (text) => {
        const n = schema.parse(text);
        expect(Number.isInteger(n)).toBe(true);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(500);
      }),
    );
    expect(schema.parse(undefined)).toBe(20);
    expect(schema.parse('abc')).toBe(20);
    expect(schema.parse('7')).toBe(7);
    expect(schema.parse('100000')).toBe(500);
    expect(schema.parse('-3')).toBe(1);
  });
});
