// Where a broker target routes an event: its kind, realm and type as the words of an AMQP routing
// key or a NATS subject, each made safe (no separator, wildcard or blank of its own).
import type { CanonicalEvent } from '../../event/canonical.js';
import { eventClient, eventTypeName } from '../filter.js';

/** One word: letters, digits, `_` and `-` kept, anything else `_`; an absent value is `_`. */
export function topicWord(value: string | null): string {
  if (value === null || value === '') return '_';
  return value.replace(/[^A-Za-z0-9_-]/g, '_');
}

const TOKENS = {
  kind: (e: CanonicalEvent) => e.kind,
  realmId: (e: CanonicalEvent) => e.realmId,
  type: (e: CanonicalEvent) => eventTypeName(e),
  clientId: (e: CanonicalEvent) => eventClient(e),
} as const;

/** The template's `{kind}`, `{realmId}`, `{type}` and `{clientId}` replaced by the event's words; at most 255 bytes. */
export function routingKey(template: string, event: CanonicalEvent): string {
  const key = template.replace(/\{(kind|realmId|type|clientId)\}/g, (_, token: keyof typeof TOKENS) => topicWord(TOKENS[token](event)));
  return Buffer.byteLength(key) <= 255 ? key : Buffer.from(key).subarray(0, 255).toString('utf8');
}

/** `<prefix>.<kind>.<realmId>.<type>`. */
export function natsSubject(prefix: string, event: CanonicalEvent): string {
  return `${prefix}.${topicWord(event.kind)}.${topicWord(event.realmId)}.${topicWord(eventTypeName(event))}`;
}
