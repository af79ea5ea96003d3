// Body bytes to text. The emitter posts `Content-type: application/json` without a charset and encodes
// with Apache StringEntity's default, ISO-8859-1 (é is the single byte 0xE9), while other senders use
// UTF-8. Strict UTF-8 is tried first: Latin-1 text with accented letters is almost never valid UTF-8,
// whereas any byte string is valid Latin-1, so the reverse order could not work.
import { Buffer, isUtf8 } from 'node:buffer';

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

export function decodeBodyText(body: Uint8Array): string {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const text = hasUtf8Bom(bytes) ? bytes.subarray(UTF8_BOM.length) : bytes;
  // Buffer's 'latin1' is true ISO-8859-1 (byte n -> U+00nn); TextDecoder('latin1') would be windows-1252.
  return text.toString(isUtf8(text) ? 'utf8' : 'latin1');
}

function hasUtf8Bom(bytes: Buffer): boolean {
  return bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
}
