// Body bytes to text. The emitter posts `Content-type: application/json` without a charset and encodes
// with Apache StringEntity's default, ISO-8859-1 (é is the single byte 0xE9), while other senders use
// UTF-8. A charset the sender declares is honoured. Without one, BODY_CHARSET decides:
// - `auto` (default): strict UTF-8 first, else ISO-8859-1. Latin-1 text with accented letters is
//   almost never valid UTF-8, whereas any byte string is valid Latin-1, so the reverse order could
//   not work. Its one ambiguity: Latin-1 text whose bytes happen to form UTF-8 ("Ã©" is C3 A9, which
//   is UTF-8 for "é") is read as UTF-8. Only text made of such pairs is affected.
// - `latin1`: ISO-8859-1, as the emitter always sends; removes that ambiguity for emitter posts.
// - `utf-8`: strict UTF-8 for senders known to use it; anything else is refused.
import { Buffer, isUtf8 } from 'node:buffer';
import { MIMEType, TextDecoder } from 'node:util';
import { KCR_ERR_CHARSET, KCR_ERR_CHARSET_UNSUPPORTED } from '../errors.js';

export const BODY_CHARSETS = ['auto', 'latin1', 'utf-8'] as const;
/** What to assume when the Content-Type names no charset. */
export type BodyCharset = (typeof BODY_CHARSETS)[number];

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

// WHATWG's TextDecoder maps these labels to windows-1252; the emitter's Java means true ISO-8859-1
// (byte n -> U+00nn), which is Buffer's 'latin1'.
const LATIN1_LABELS = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'cp819', 'ibm819', 'csisolatin1', 'iso-ir-100']);
const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);
const ASCII_LABELS = new Set(['us-ascii', 'ascii']);

/** The `charset` parameter of a Content-Type, lower-cased; null when absent or the header is not a MIME type. */
export function charsetOf(contentType: string | undefined): string | null {
  // The emitter's bare `application/json` is the common case: no MIMEType parse per request for it.
  if (!contentType || !/charset/i.test(contentType)) return null;
  try {
    return new MIMEType(contentType).params.get('charset')?.toLowerCase() ?? null;
  } catch {
    return null;
  }
}

/** Throws KCR_ERR_CHARSET / KCR_ERR_CHARSET_UNSUPPORTED (quarantinable) when the bytes cannot be text. */
export function decodeBodyText(body: Uint8Array, declared: string | null, fallback: BodyCharset): string {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (declared !== null) return decodeDeclared(bytes, declared);
  switch (fallback) {
    case 'latin1':
      return bytes.toString('latin1');
    case 'utf-8':
      return strictUtf8(bytes, 'BODY_CHARSET=utf-8');
    case 'auto': {
      const text = withoutBom(bytes);
      return text.toString(isUtf8(text) ? 'utf8' : 'latin1');
    }
  }
}

function decodeDeclared(bytes: Buffer, charset: string): string {
  if (UTF8_LABELS.has(charset)) return strictUtf8(bytes, `charset=${charset}`);
  if (LATIN1_LABELS.has(charset)) return bytes.toString('latin1');
  if (ASCII_LABELS.has(charset)) {
    if (bytes.some((b) => b > 0x7f)) throw KCR_ERR_CHARSET('US-ASCII', `charset=${charset}`);
    return bytes.toString('latin1');
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw KCR_ERR_CHARSET_UNSUPPORTED(charset);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw KCR_ERR_CHARSET(decoder.encoding, `charset=${charset}`);
  }
}

function strictUtf8(bytes: Buffer, source: string): string {
  const text = withoutBom(bytes);
  if (!isUtf8(text)) throw KCR_ERR_CHARSET('UTF-8', source);
  return text.toString('utf8');
}

function withoutBom(bytes: Buffer): Buffer {
  const bom = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
  return bom ? bytes.subarray(UTF8_BOM.length) : bytes;
}
