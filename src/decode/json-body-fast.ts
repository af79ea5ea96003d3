// The common case of parseJsonBody (./json-body.ts) at a fraction of its cost. parseJsonBody's reviver
// is called for every value of the body, so that the "uid" keeps its source text: that walk was the
// largest single cost of decoding. Here the body goes through a plain JSON.parse, and one pass over
// the text finds the top-level uid's digits. Only plain bodies take this path: shallow, no number a
// double would change (parseJsonBody keeps the source text of those), no "uid" number below the top
// level. Anything else (and every refusal: invalid JSON, a top-level value that
// is not an object) goes through parseJsonBody itself, so both give the same result or the same error
// on every text (test/unit/decode/json/fast-body.test.ts checks it).
import { parseJsonBody } from './json-body.js';

/** Keycloak bodies nest 3 deep; deeper ones take parseJsonBody and its refusal of deep nesting. */
const MAX_FAST_DEPTH = 32;
/** A number this long or with an exponent may round to Infinity: parseJsonBody decides what to do with it. */
const MAX_FAST_NUMBER = 300;
/** The scan's verdict when the text must go through parseJsonBody. */
const SLOW = -1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** Same contract as parseJsonBody: the top-level object, a numeric "uid" as its source text. */
export function parseJsonBodyFast(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return parseJsonBody(text); // throws the refusal, with its message
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return parseJsonBody(text);
  const obj = value as Record<string, unknown>;
  const uid = scanTopLevelUid(text);
  if (uid === SLOW) return parseJsonBody(text);
  if (uid !== null && typeof obj.uid === 'number' && Object.hasOwn(obj, 'uid')) obj.uid = uid;
  return obj;
}

/**
 * One pass over text that JSON.parse accepted: the source of the last top-level "uid" member whose
 * value is a number (the one JSON.parse kept), null when there is none, SLOW when the text is not
 * plain (see the file's header).
 */
function scanTopLevelUid(text: string): string | null | typeof SLOW {
  const n = text.length;
  // Whether each open container is an object; a string in an object right after `{` or `,` is a key.
  const inObject: boolean[] = [];
  let depth = 0;
  let previous = 0; // last structural character outside strings
  let uidKeyAt = 0; // depth of the "uid" key just read, 0 when the last key was another one
  let uid: string | null = null;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (depth > 0 && inObject[depth - 1] === true && (previous === OPEN_OBJECT || previous === COMMA)) {
        uidKeyAt = isUid(text, i + 1, end) ? depth : 0;
      } else {
        uidKeyAt = 0;
      }
      previous = QUOTE;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === MAX_FAST_DEPTH) return SLOW;
      inObject[depth++] = c === OPEN_OBJECT;
      previous = c;
      uidKeyAt = 0;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      previous = c;
      uidKeyAt = 0;
    } else if (c === COMMA) {
      previous = c;
      uidKeyAt = 0;
    } else if (c === COLON) {
      previous = c;
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      let end = i + 1;
      while (end < n && isNumberChar(text.charCodeAt(end))) {
        const d = text.charCodeAt(end);
        if (d === LOWER_E || d === UPPER_E) return SLOW;
        end++;
      }
      if (end - i > MAX_FAST_NUMBER) return SLOW;
      const source = text.slice(i, end);
      if (uidKeyAt !== 0 && previous === COLON) {
        if (uidKeyAt !== 1) return SLOW; // parseJsonBody keeps the source of nested "uid" numbers too
        uid = source;
      } else if (String(Number(source)) !== source) {
        return SLOW; // a number its double would change: parseJsonBody keeps its source text
      }
      previous = MINUS;
      i = end - 1;
    }
    // whitespace and the letters of true/false/null change nothing
  }
  return uid;
}

/** Index of the quote closing the string whose opening quote is at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Whether the key between `from` and `to` (exclusive) reads "uid", escapes decoded as JSON.parse does. */
function isUid(text: string, from: number, to: number): boolean {
  if (to - from === 3) return text.startsWith('uid', from);
  const escape = text.indexOf('\\', from);
  if (to - from < 3 || escape === -1 || escape >= to) return false;
  return JSON.parse(text.slice(from - 1, to + 1)) === 'uid';
}

function isNumberChar(c: number): boolean {
  return (c >= DIGIT_0 && c <= DIGIT_9) || c === 0x2e || c === MINUS || c === 0x2b || c === LOWER_E || c === UPPER_E;
}
