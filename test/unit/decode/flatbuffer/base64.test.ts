// Strict standard base64: what Buffer.from(x, 'base64') would silently accept is refused.
import { describe, expect, it } from 'vitest';
import { decodeStrictBase64 } from '../../../../src/decode/flatbuffer/base64.js';
import { kcrCode, kcrMessage } from '../../../support/flatbuffer-goldens.js';

describe('decodeStrictBase64', () => {
  it('decodes padded standard base64, including the empty text', () => {
    expect(Buffer.from(decodeStrictBase64('AAECAw=='))).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(Buffer.from(decodeStrictBase64('+/+/'))).toEqual(Buffer.from([0xfb, 0xff, 0xbf]));
    expect(decodeStrictBase64('QUI=')).toHaveLength(2);
    expect(decodeStrictBase64('')).toHaveLength(0);
  });

  it.each([
    ['URL-safe "-"', 'AA-B', /invalid character U\+002D at index 2/],
    ['URL-safe "_"', '____', /invalid character U\+005F at index 0/],
    ['a line break', 'AAAA\nAAAA', /invalid character U\+000A at index 4/],
    ['a space', 'AAAA AAAA', /invalid character U\+0020 at index 4/],
    ['a non-ASCII character', 'AAé=', /invalid character U\+00E9 at index 2/],
    ['missing padding', 'AAE', /length 3 is not a multiple of 4/],
    ['padding in the middle', 'AA==AAAA', /padding "=" may only end the text/],
    ['three padding characters', 'A===', /padding "=" may only end the text/],
    ['non-zero bits in the padding', 'QR==', /non-zero padding bits/],
    ['non-zero bits before one "="', 'QUJ=', /non-zero padding bits/],
  ])('refuses %s', (_name, text, reason) => {
    expect(kcrCode(() => decodeStrictBase64(text))).toBe('KCR_ERR_BASE64');
    expect(kcrMessage(() => decodeStrictBase64(text))).toMatch(reason);
    // The lenient decoder Node offers would have produced bytes from every one of these.
    expect(() => Buffer.from(text, 'base64')).not.toThrow();
  });
});
