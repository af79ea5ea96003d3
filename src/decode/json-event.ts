// Decodes a `format=JSON` body: a Keycloak Event or AdminEvent serialized by Jackson, with no type tag,
// in every shape the emitter has produced since 2018 (docs/emitter-formats.md). Also recognizes
// the `format=FLATBUFFER` wrapper, which is JSON too, so the two formats are told apart here.
import type { AuthDetails } from '../event/canonical.js';
import { parseUid } from '../event/snowflake.js';
import { KCR_ERR_BASE64, KCR_ERR_EVENT_KIND, KCR_ERR_FIELD_TYPE, KCR_ERR_UID_INVALID, KCR_ERR_WRAPPER_TYPE } from '../errors.js';
import type { DecodedFields, FlatBufferWrapper } from './decoded-fields.js';
import { describeJsonValue } from './describe.js';
import { NumberText } from './number-text.js';

type JsonObject = Record<string, unknown>;

// Own members only: a body's fields must not be confused with Object.prototype's.
export const member = (obj: JsonObject, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

export const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The FlatBuffer wrapper: an `obj` member and a `type` of exactly "Event" or "AdminEvent". */
export function isFlatBufferWrapper(obj: JsonObject): obj is JsonObject & { type: 'Event' | 'AdminEvent'; obj: unknown } {
  const type = member(obj, 'type');
  return Object.hasOwn(obj, 'obj') && (type === 'Event' || type === 'AdminEvent');
}

/**
 * The wrapper when the body is one, null when it is a JSON event. A near-wrapper is refused rather than
 * decoded as a JSON event, which would invent an event of null fields: no Keycloak Event or AdminEvent
 * has an `obj` member (so `obj` with any other `type` is KCR_ERR_WRAPPER_TYPE), and no Keycloak event
 * type is named "Event"/"AdminEvent" (so those without a string `obj` are KCR_ERR_BASE64).
 */
export function readFlatBufferWrapper(obj: JsonObject): FlatBufferWrapper | null {
  const type = member(obj, 'type');
  if (isFlatBufferWrapper(obj)) {
    if (typeof obj.obj !== 'string') throw KCR_ERR_BASE64(`it is ${describeJsonValue(obj.obj)}, not a string`);
    return { type: obj.type, obj: obj.obj };
  }
  if (Object.hasOwn(obj, 'obj')) throw KCR_ERR_WRAPPER_TYPE(describeJsonValue(type));
  if (type === 'Event' || type === 'AdminEvent') throw KCR_ERR_BASE64('it is missing');
  return null;
}

/**
 * Decodes a JSON Event or AdminEvent (an object from parseJsonBody). The kind is told by field names,
 * as Jackson writes every field, null or not: `operationType`/`resourceType` make an AdminEvent (they
 * win over `type`, the more generic name), else `type` makes an Event. Unknown members (`id`,
 * `realmName`, later additions) are ignored.
 */
export function decodeJsonEvent(obj: JsonObject): DecodedFields {
  const isAdmin = Object.hasOwn(obj, 'operationType') || Object.hasOwn(obj, 'resourceType');
  if (!isAdmin && !Object.hasOwn(obj, 'type')) throw KCR_ERR_EVENT_KIND();

  const common = { uid: readUid(member(obj, 'uid')), time: readTime(obj), ...readCommonFields(obj) };
  if (isAdmin) {
    return {
      ...common,
      ...adminFields(obj, readString(obj, 'operationType'), readString(obj, 'resourceType'), readAdminAuthDetails(obj)),
    };
  }
  return {
    ...common,
    kind: 'event',
    type: readString(obj, 'type'),
    operationType: null,
    resourceType: null,
    resourcePath: null,
    representation: null,
    clientId: readString(obj, 'clientId'),
    userId: readString(obj, 'userId'),
    sessionId: readString(obj, 'sessionId'),
    ipAddress: readString(obj, 'ipAddress'),
    authDetails: null,
  };
}

/** An AdminEvent's own fields (the user-event ones null), its operation and resource as the sender named them. */
export function adminFields(obj: JsonObject, operationType: string | null, resourceType: string | null, authDetails: AuthDetails | null) {
  return {
    kind: 'admin',
    type: null,
    operationType,
    resourceType,
    resourcePath: readString(obj, 'resourcePath'),
    representation: readString(obj, 'representation'),
    clientId: null,
    userId: null,
    sessionId: null,
    ipAddress: null,
    authDetails,
  } as const;
}

/** The members a Keycloak event has alike in every JSON sender's body (the emitter's, Phase Two's). */
export function readCommonFields(obj: JsonObject) {
  return {
    realmId: readString(obj, 'realmId'),
    error: readString(obj, 'error'),
    details: readDetails(member(obj, 'details')),
    schema: null,
    keycloak: null,
    enumBytes: null,
  };
}

/** parseJsonBody turned a numeric uid into its source text, so the digits reach BigInt untouched. */
function readUid(value: unknown): bigint | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return parseUid(value);
  if (typeof value === 'number') {
    throw KCR_ERR_UID_INVALID('it reached the decoder as a JS number, which may have rounded it (use parseJsonBody)');
  }
  throw KCR_ERR_FIELD_TYPE('uid', 'a signed 64-bit integer (JSON number or decimal string) or null');
}

export function readTime(obj: JsonObject): number | null {
  const raw = member(obj, 'time');
  if (raw === undefined || raw === null) return null;
  // 1.5e12 is an exact integer written in another way; 1e400 or 2^64 is not a time.
  const value = raw instanceof NumberText ? Number(raw.source) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw KCR_ERR_FIELD_TYPE('time', 'an integer (epoch milliseconds) or null');
  }
  return value;
}

export function readString(obj: JsonObject, key: string, path = key): string | null {
  const value = member(obj, key);
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw KCR_ERR_FIELD_TYPE(path, 'a string or null');
  return value;
}

/**
 * Keycloak's details are Map<String, String>, but other senders write numbers and booleans: those are
 * stringified (the canonical map holds strings; a number as its source text, never as a rounded
 * double), null stays null, nested objects/arrays are refused
 * rather than flattened into a guessed encoding.
 */
export function readDetails(value: unknown): Record<string, string | null> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw KCR_ERR_FIELD_TYPE('details', 'an object or null');
  // fromEntries defines own properties, so a "__proto__" key stays data instead of setting a prototype.
  return Object.fromEntries(
    Object.entries(value).map(([key, v]): [string, string | null] => {
      if (v === null || typeof v === 'string') return [key, v];
      if (v instanceof NumberText) return [key, v.source];
      if (typeof v === 'number' || typeof v === 'boolean') return [key, String(v)];
      throw KCR_ERR_FIELD_TYPE(`details[${describeJsonValue(key)}]`, 'a string, number, boolean or null');
    }),
  );
}

/** `authDetails` (emitter-2018) was renamed `extAuthDetails` and gained `username` (emitter-2020). */
function readAdminAuthDetails(obj: JsonObject): AuthDetails | null {
  const ext = member(obj, 'extAuthDetails');
  const key = ext === undefined || ext === null ? 'authDetails' : 'extAuthDetails';
  const value = member(obj, key);
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw KCR_ERR_FIELD_TYPE(key, 'an object or null');
  return {
    realmId: readString(value, 'realmId', `${key}.realmId`),
    clientId: readString(value, 'clientId', `${key}.clientId`),
    userId: readString(value, 'userId', `${key}.userId`),
    username: readString(value, 'username', `${key}.username`),
    ipAddress: readString(value, 'ipAddress', `${key}.ipAddress`),
  };
}
