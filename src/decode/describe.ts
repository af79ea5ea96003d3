// Short, bounded descriptions of untrusted JSON values for error messages: never the whole value.
import { NumberText } from './number-text.js';

const MAX_STRING = 40;

export function describeJsonValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof NumberText) {
    return value.source.length > MAX_STRING ? `${value.source.slice(0, MAX_STRING)}…` : value.source;
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value);
    case 'number':
    case 'boolean':
      return String(value);
    default:
      return 'an object';
  }
}
