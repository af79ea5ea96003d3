import { describe, expect, it } from 'vitest';
import { charsetOf, decodeBodyText } from '../../../../src/decode/charset.js';
import { parseJsonBody } from '../../../../src/decode/json-body.js';
import { KcrError } from '../../../../src/errors.js';
import { kcrCode } from '../../../support/kcr-error.js';

const auto = (bytes: Uint8Array): string => decodeBodyText(bytes, null, 'auto');

describe('decodeBodyText without a declared charset, BODY_CHARSET=auto', () => {
  it("reads the emitter's ISO-8859-1 bodies: 0xE9 is é", () => {
    const body = Buffer.concat([
      Buffer.from('{"realmId":"soci'),
      Buffer.from([0xe9]),
      Buffer.from('t'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    expect(auto(body)).toBe('{"realmId":"société"}');
  });

  it('maps 0x80–0x9F to C1 controls (ISO-8859-1), not windows-1252 punctuation', () => {
    expect(auto(Buffer.from([0x80, 0x93, 0xff]))).toBe('\u0080\u0093\u00ff');
  });

  it('keeps UTF-8 text', () => {
    expect(auto(Buffer.from('{"realmId":"日本","u":"é"}', 'utf8'))).toBe('{"realmId":"日本","u":"é"}');
  });

  it('reads Latin-1 text whose bytes form UTF-8 as UTF-8: the one ambiguity, documented', () => {
    expect(auto(Buffer.from('Ã©', 'latin1'))).toBe('é');
  });

  it('strips one UTF-8 BOM, in either charset', () => {
    expect(auto(Buffer.from('\uFEFF{"a":"日本"}', 'utf8'))).toBe('{"a":"日本"}');
    expect(auto(Buffer.from([0xef, 0xbb, 0xbf, 0x22, 0xe9, 0x22]))).toBe('"é"');
    expect(auto(Buffer.from('\uFEFF\uFEFF1', 'utf8'))).toBe('\uFEFF1');
  });

  it('reads a Uint8Array view without its neighbours', () => {
    const backing = Buffer.from('xx{"a":1}yy');
    expect(auto(new Uint8Array(backing.buffer, backing.byteOffset + 2, 7))).toBe('{"a":1}');
  });

  it('decodes the empty body to the empty string', () => {
    expect(auto(Buffer.alloc(0))).toBe('');
  });
});

describe('decodeBodyText, other BODY_CHARSET values', () => {
  it('latin1 reads every body as ISO-8859-1, removing the ambiguity', () => {
    expect(decodeBodyText(Buffer.from('Ã©', 'latin1'), null, 'latin1')).toBe('Ã©');
  });

  it('utf-8 refuses bytes that are not UTF-8, with a quarantinable code', () => {
    expect(decodeBodyText(Buffer.from('"日本"', 'utf8'), null, 'utf-8')).toBe('"日本"');
    expect(kcrCode(() => decodeBodyText(Buffer.from([0x22, 0xe9, 0x22]), null, 'utf-8'))).toBe('KCR_ERR_CHARSET');
  });
});

describe('decodeBodyText with the charset the sender declares', () => {
  it('honours charset=utf-8 strictly, over BODY_CHARSET=latin1', () => {
    expect(decodeBodyText(Buffer.from('"Ã©"', 'utf8'), 'utf-8', 'latin1')).toBe('"Ã©"');
    expect(decodeBodyText(Buffer.from('Ã©', 'latin1'), 'utf-8', 'latin1')).toBe('é');
    expect(kcrCode(() => decodeBodyText(Buffer.from([0xe9]), 'utf-8', 'auto'))).toBe('KCR_ERR_CHARSET');
  });

  it('reads iso-8859-1 and its aliases as true ISO-8859-1, even when the bytes are valid UTF-8', () => {
    for (const label of ['iso-8859-1', 'latin1', 'iso_8859-1', 'l1']) {
      expect(decodeBodyText(Buffer.from([0xc3, 0xa9, 0x93]), label, 'auto')).toBe('Ã©\u0093');
    }
  });

  it('refuses bytes above 0x7F under us-ascii', () => {
    expect(decodeBodyText(Buffer.from('{}'), 'us-ascii', 'auto')).toBe('{}');
    expect(kcrCode(() => decodeBodyText(Buffer.from([0xe9]), 'us-ascii', 'auto'))).toBe('KCR_ERR_CHARSET');
  });

  it('decodes other charsets the platform knows, and refuses unknown ones', () => {
    expect(decodeBodyText(Buffer.from([0x93, 0x41, 0x94]), 'windows-1252', 'auto')).toBe('\u201cA\u201d');
    expect(decodeBodyText(Buffer.from('{"a":"é"}', 'utf16le'), 'utf-16le', 'auto')).toBe('{"a":"é"}');
    expect(kcrCode(() => decodeBodyText(Buffer.from('{}'), 'klingon-8', 'auto'))).toBe('KCR_ERR_CHARSET_UNSUPPORTED');
  });
});

describe('charsetOf', () => {
  it('reads the charset parameter of a Content-Type, case-insensitively', () => {
    expect(charsetOf('application/json; charset=UTF-8')).toBe('utf-8');
    expect(charsetOf('application/json;charset="ISO-8859-1"')).toBe('iso-8859-1');
    expect(charsetOf('Application/JSON')).toBeNull();
  });

  it('is null when the header is absent or not a MIME type', () => {
    expect(charsetOf(undefined)).toBeNull();
    expect(charsetOf('')).toBeNull();
    expect(charsetOf('not a mime type; charset=utf-8')).toBeNull();
  });
});

const notJson = (text: string): KcrError => {
  try {
    parseJsonBody(text);
  } catch (err) {
    expect(err).toBeInstanceOf(KcrError);
    return err as KcrError;
  }
  throw new Error('did not throw');
};

describe('parseJsonBody', () => {
  it('returns the top-level object with uid members as their source digits', () => {
    const obj = parseJsonBody('{"type":"LOGIN","uid":7311288319461113857,"time":1700000000000}');
    expect(obj).toEqual({ type: 'LOGIN', uid: '7311288319461113857', time: 1700000000000 });
  });

  it('keeps a uid given as a string unchanged', () => {
    expect(parseJsonBody('{"uid":"7311288319461113857"}').uid).toBe('7311288319461113857');
  });

  it('keeps the source of numbers written in non-canonical form, for the uid check to refuse', () => {
    expect(parseJsonBody('{"uid":1.0E3}').uid).toBe('1.0E3');
    expect(parseJsonBody('{"uid":-0}').uid).toBe('-0');
  });

  it('refuses anything that is not a JSON object, non-quarantinable', () => {
    for (const text of ['', 'not json', '{"a":', '[]', '[{"type":"LOGIN"}]', '"s"', '42', 'null', 'true', '{"a":1}x']) {
      const err = notJson(text);
      expect(err.code).toBe('KCR_ERR_BODY_NOT_JSON');
      expect(err.quarantinable).toBe(false);
      expect(err.statusCode).toBe(400);
    }
    expect(notJson('[1]').message).toContain('an array');
    expect(notJson('null').message).toContain('null');
  });

  it('refuses nesting too deep for the reviver instead of crashing', () => {
    const depth = 500_000;
    const err = notJson(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(err.code).toBe('KCR_ERR_BODY_NOT_JSON');
    expect(err.message).toContain('nested too deeply');
  });
});
