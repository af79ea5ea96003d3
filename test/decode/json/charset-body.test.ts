import { describe, expect, it } from 'vitest';
import { decodeBodyText } from '../../../src/decode/charset.js';
import { parseJsonBody } from '../../../src/decode/json-body.js';
import { KcrError } from '../../../src/errors.js';

describe('decodeBodyText', () => {
  it('reads the emitter\'s ISO-8859-1 bodies: 0xE9 is é', () => {
    const body = Buffer.concat([Buffer.from('{"realmId":"soci'), Buffer.from([0xe9]), Buffer.from('t'), Buffer.from([0xe9]), Buffer.from('"}')]);
    expect(decodeBodyText(body)).toBe('{"realmId":"société"}');
  });

  it('maps 0x80–0x9F to C1 controls (ISO-8859-1), not windows-1252 punctuation', () => {
    expect(decodeBodyText(Buffer.from([0x80, 0x93, 0xff]))).toBe('\u0080\u0093\u00ff');
  });

  it('keeps UTF-8 text', () => {
    expect(decodeBodyText(Buffer.from('{"realmId":"日本","u":"é"}', 'utf8'))).toBe('{"realmId":"日本","u":"é"}');
  });

  it('strips one UTF-8 BOM, in either charset', () => {
    expect(decodeBodyText(Buffer.from('\uFEFF{"a":"日本"}', 'utf8'))).toBe('{"a":"日本"}');
    expect(decodeBodyText(Buffer.from([0xef, 0xbb, 0xbf, 0x22, 0xe9, 0x22]))).toBe('"é"');
    expect(decodeBodyText(Buffer.from('\uFEFF\uFEFF1', 'utf8'))).toBe('\uFEFF1');
  });

  it('reads a Uint8Array view without its neighbours', () => {
    const backing = Buffer.from('xx{"a":1}yy');
    expect(decodeBodyText(new Uint8Array(backing.buffer, backing.byteOffset + 2, 7))).toBe('{"a":1}');
  });

  it('decodes the empty body to the empty string', () => {
    expect(decodeBodyText(Buffer.alloc(0))).toBe('');
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
