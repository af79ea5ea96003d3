// One entry of Keycloak's admin REST lists to the fields of the canonical event. Keycloak answers
// `GET /admin/realms/{realm}/events` with EventRepresentations (id, time, type, realmId, clientId,
// userId, sessionId, ipAddress, error, details) and `…/admin-events` with AdminEventRepresentations
// (id, time, realmId, authDetails{realmId, clientId, userId, ipAddress}, operationType,
// resourceType, resourcePath, representation, error, details): Jackson's JSON of Keycloak's own
// Event and AdminEvent, which is what the emitter's JSON decoder reads, so it reads these too, and
// every field lands where the emitter's and Phase Two's intakes put it. Two differences from a p2
// webhook of the same event: an admin event's `authDetails.realmId` is kept (Keycloak gives the
// admin realm's id here, where p2 sends its name and the p2 decoder leaves it null) and has no
// `username` (Keycloak's representation has none); a user event's `sessionId` is the event's own
// (p2 sends the authentication session's id when the request had one). Pure.
import type { DecodedBody } from '../../decode/index.js';
import { decodeJsonEvent, isObject, member } from '../../decode/json-event.js';
import { keycloakEventDedupKey } from '../../decode/keycloak-event-id.js';
import { describeJsonValue } from '../../decode/describe.js';
import type { KeycloakApiOrigin } from '../../event/canonical.js';
import { KCR_ERR_SOURCE_ANSWER } from '../../errors.js';

/** Keycloak's two lists, by the last segment of their paths. */
export type EventList = 'events' | 'admin-events';
export const EVENT_LISTS: readonly EventList[] = ['events', 'admin-events'];

/** An entry mapped: the canonical fields, and Keycloak's id and time (what paging and dedup need). */
export type MappedEvent = DecodedBody & { id: string; time: number };

/**
 * Throws KcrError: KCR_ERR_SOURCE_ANSWER for an entry without a string `id` (Keycloak before 26.2)
 * or an integer `time`, or of the other list's kind; KCR_ERR_FIELD_TYPE for a field of the wrong type.
 */
export function mapEvent(list: EventList, entry: unknown, origin: Omit<KeycloakApiOrigin, 'id'>): MappedEvent {
  const refuse = (what: string) => KCR_ERR_SOURCE_ANSWER(origin.source, `${list}: ${what}`);
  if (!isObject(entry)) throw refuse(`an entry is ${describeJsonValue(entry)}, not an object`);
  const id = member(entry, 'id');
  if (typeof id !== 'string' || id === '') {
    throw refuse(`an entry has no "id" (Keycloak gives each saved event one since 26.2; the catch-up needs it to store each event once)`);
  }
  // Keycloak never sends a uid here: one would be a snowflake the relay did not check.
  if (Object.hasOwn(entry, 'uid')) throw refuse(`entry ${id} has a "uid", which no Keycloak representation has`);
  const fields = decodeJsonEvent(entry);
  if (fields.time === null) throw refuse(`entry ${id} has no "time"`);
  const kind = list === 'events' ? 'event' : 'admin';
  if (fields.kind !== kind) throw refuse(`entry ${id} is no ${list === 'events' ? 'user' : 'admin'} event`);
  return { ...fields, time: fields.time, id, format: 'keycloak-api', origin: { keycloakApi: { ...origin, id } } };
}

/** The dedup key of a mapped event: the one Phase Two's intake forms for the same Keycloak `id`. */
export function mappedDedupKey(event: Pick<MappedEvent, 'id' | 'time'>, latestMs: number): { key: string; timeMs: number } {
  return keycloakEventDedupKey(event.id, event.time, latestMs);
}
