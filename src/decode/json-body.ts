// Parses a body as JSON without losing uid precision: JSON.parse's reviver receives each primitive's
// source text (Node 24), so every member named "uid" holding a JSON number is returned as its digits,
// before the double conversion could round it to a multiple of 128. Any other number that a double
// would change (a 10^6-digit number is Infinity) becomes a NumberText of its source.
import { KCR_ERR_BODY_NOT_JSON } from '../errors.js';
import { describeJsonValue } from './describe.js';
import { NumberText } from './number-text.js';

interface ReviverContext {
  source?: string;
}

function keepNumberSource(key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  if (key === 'uid') return context.source;
  return String(value) === context.source ? value : new NumberText(context.source);
}

/**
 * Returns the body's top-level JSON object; any "uid" member that was a JSON number is a string of its
 * source text, any other number whose double does not print as its source text is a NumberText.
 * Throws KCR_ERR_BODY_NOT_JSON for invalid JSON or a top-level value that is not an object.
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text, keepNumberSource);
  } catch (err) {
    // The reviver walk is recursive: a deeply nested body overflows the stack (RangeError).
    throw KCR_ERR_BODY_NOT_JSON(err instanceof SyntaxError ? err.message : 'nested too deeply');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw KCR_ERR_BODY_NOT_JSON(`the top-level value is ${describeJsonValue(value)}`);
  }
  return value as Record<string, unknown>;
}
