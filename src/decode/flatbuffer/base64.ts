// Strict standard base64 (RFC 4648 §4, padded), as java.util.Base64.getEncoder() writes it.
// Buffer.from(s, 'base64') skips invalid characters and accepts the URL-safe alphabet and missing
// padding, so a corrupted body could decode to a different buffer without any error: the text is
// validated first, and the decoded bytes must re-encode to the exact input (no stray bits in the
// last quantum).
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
  if (!CANONICAL.test(text)) throw KCR_ERR_BASE64(describeProblem(text));
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw KCR_ERR_BASE64('the last character carries non-zero padding bits');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
