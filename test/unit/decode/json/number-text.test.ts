// Numbers a double would change keep their source text: a 10^6-digit number in details is not
// stored as "Infinity", 2^64 does not lose its last digits.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { type DecodeContext, decodeEvent } from '../../../support/decode-event.js';
import { decodeSettings } from '../../../support/decode-settings.js';
import * as F from './fixtures.js';
import { kcrCode } from '../../../support/kcr-error.js';

vi.mock('../../../../src/decode/flatbuffer/decode-flatbuffer.js', () => ({ decodeFlatBuffer: vi.fn() }));

const ctx: DecodeContext = {
  settings: decodeSettings('emitter-2020'),
  node: 'kc-node-1',
  nowMs: F.NOW_2025,
  maxFutureSkewMs: 300_000,
  assignUid: () => 1n,
};

/** The emitter-2020 LOGIN fixture with `details` replaced by raw JSON text. */
const withDetails = (detailsJson: string) => Buffer.from(F.EVENT_2020.replace(/"details":\{[^}]*\}/, `"details":${detailsJson}`), 'latin1');
const withTime = (timeJson: string) => Buffer.from(F.EVENT_2020.replace(/"time":\d+/, `"time":${timeJson}`), 'latin1');

const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** Any JSON number text (RFC 8259 grammar), including ones far outside a double's range or precision. */
const jsonNumberText = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.integer({ min: 1, max: 9 }), digits(0, 400)).map(([d, rest]) => `${d}${rest}`),
    ),
    fc.option(
      digits(1, 30).map((f) => `.${f}`),
      { nil: '' },
    ),
    fc.option(
      fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 99999 })).map((e) => e.join('')),
      { nil: '' },
    ),
  )
  .map((parts) => parts.join(''));

describe('numbers inside details', () => {
  it('a 10^6-digit number is kept as its digits, not "Infinity"', () => {
    const digits = `1${'0'.repeat(1_000_000)}`;
    expect(decodeEvent(withDetails(`{"n":${digits}}`), ctx).details.n).toBe(digits);
  });

  it('2^64 keeps its last digits; 1e3 stays 1e3; an ordinary number prints as before', () => {
    const e = decodeEvent(withDetails('{"big":18446744073709551616,"exp":1e3,"plain":42,"frac":0.5,"neg":-7}'), ctx);
    expect(e.details).toEqual({ big: '18446744073709551616', exp: '1e3', plain: '42', frac: '0.5', neg: '-7' });
  });

  it('property: every number in details is stored as exactly the text that was sent', () => {
    fc.assert(
      fc.property(jsonNumberText, (text) => {
        expect(decodeEvent(withDetails(`{"n":${text}}`), ctx).details.n).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('numbers as the event time', () => {
  it('an exact integer written with an exponent is still a time', () => {
    expect(decodeEvent(withTime('1.591192931250e12'), ctx).time).toBe(1591192931250);
  });

  it('a time beyond a double, or not an integer, is refused with a coded error', () => {
    expect(kcrCode(() => decodeEvent(withTime(`1${'0'.repeat(400)}`), ctx))).toBe('KCR_ERR_FIELD_TYPE');
    expect(kcrCode(() => decodeEvent(withTime('18446744073709551616'), ctx))).toBe('KCR_ERR_FIELD_TYPE');
  });
});
