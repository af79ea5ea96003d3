// Strict standard base64 (RFC 4648 §4, padded), as java.util.Base64.getEncoder() writes it.
// Buffer.from(s, 'base64') skips invalid characters and accepts the URL-safe alphabet and missing
// padding, so a corrupted body could decode to a different buffer without any error: the text is
// accepted only when the decoded bytes re-encode to the exact input (which also rules out stray bits
// in the last quantum).
import { KCR_ERR_BASE64 } from '../../errors.js';

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const INVALID_CHAR = /[^A-Za-z0-9+/=]/;

function describeProblem(text: string): string {
  const invalid = INVALID_CHAR.exec(text);
  if (invalid) {
    const code = invalid[0].codePointAt(0) ?? 0;
    return `invalid character U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${invalid.index}`;
  }
  if (text.length % 4 !== 0) return `length ${text.length} is not a multiple of 4`;
  return 'padding "=" may only end the text, at most twice';
}

export function decodeStrictBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  // Node writes canonical base64 only, so a text that re-encodes to itself is canonical: the pattern
  // runs only to say what is wrong with one that does not (one pass over a valid text, not two).
  if (bytes.toString('base64') !== text) {
    throw KCR_ERR_BASE64(CANONICAL.test(text) ? 'the last character carries non-zero padding bits' : describeProblem(text));
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
