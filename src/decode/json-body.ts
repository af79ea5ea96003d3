// Parses a body as JSON without losing uid precision: JSON.parse's reviver receives each primitive's
// source text (Node 24), so every member named "uid" holding a JSON number is returned as its digits,
// before the double conversion could round it to a multiple of 128.
import { KCR_ERR_BODY_NOT_JSON } from '../errors.js';
import { describeJsonValue } from './describe.js';

interface ReviverContext {
  source?: string;
}

function keepUidSource(key: string, value: unknown, context?: ReviverContext): unknown {
  return key === 'uid' && typeof value === 'number' && context?.source !== undefined ? context.source : value;
}

/**
 * Returns the body's top-level JSON object; any "uid" member that was a JSON number is a string of its
 * source text. Throws KCR_ERR_BODY_NOT_JSON for invalid JSON or a top-level value that is not an object.
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text, keepUidSource);
  } catch (err) {
    // The reviver walk is recursive: a deeply nested body overflows the stack (RangeError).
    throw KCR_ERR_BODY_NOT_JSON(err instanceof SyntaxError ? err.message : 'nested too deeply');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw KCR_ERR_BODY_NOT_JSON(`the top-level value is ${describeJsonValue(value)}`);
  }
  return value as Record<string, unknown>;
}
