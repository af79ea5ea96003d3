// Decodes a Phase Two keycloak-events webhook body (`ext-event-webhook`): Jackson's compact JSON of
// its ExtendedEvent / ExtendedAdminEvent, UTF-8, nulls omitted. Its shape differs from Keycloak's
// own: the kind is in `type` (`access.LOGIN`, `admin.USER_SESSION-DELETE`), a user event's client,
// user, session and address are in `authDetails` (whose `realmId` is a realm NAME), and it adds
// `uid`, a delivery id that is not a snowflake. What fits the canonical event goes there; the rest
// (both ids, p2's names, authDetails as sent) into its origin, so nothing the body carried is lost.
// Pure.
import { createHash } from 'node:crypto';
import type { AuthDetails, PhaseTwoAuthDetails, PhaseTwoOrigin } from '../event/canonical.js';
import { KCR_ERR_BODY_NOT_JSON, KCR_ERR_FIELD_TYPE, KCR_ERR_PHASETWO_BODY, KcrError } from '../errors.js';
import { decodeBodyText, charsetOf } from './charset.js';
import { describeJsonValue } from './describe.js';
import type { DecodedBody } from './index.js';
import { parseJsonBodyFast } from './json-body-fast.js';
import { adminFields, isObject, member, readCommonFields, readString, readTime } from './json-event.js';

const ACCESS = /^access\.(.+)$/;
// The resource type may hold `_` (USER_SESSION), never `-`; the operation is the last part.
const ADMIN = /^admin\.(.+)-([^-]+)$/;

const AUTH_DETAILS_FIELDS = ['realmId', 'clientId', 'userId', 'ipAddress', 'username', 'sessionId'] as const;

/** Throws quarantinable KcrErrors only (KCR_ERR_PHASETWO_BODY, KCR_ERR_FIELD_TYPE, KCR_ERR_CHARSET). */
export function decodePhaseTwo(body: Buffer, contentType?: string): DecodedBody {
  // p2 sends UTF-8 without saying so (Content-Type: application/json).
  const text = decodeBodyText(body, charsetOf(contentType), 'utf-8');
  let obj: Record<string, unknown>;
  try {
    obj = parseJsonBodyFast(text);
  } catch (err) {
    // Its signature proved the sender: kept in the quarantine rather than refused.
    if (err instanceof KcrError && err.code === KCR_ERR_BODY_NOT_JSON.code) throw KCR_ERR_PHASETWO_BODY(err.message);
    throw err;
  }
  const type = member(obj, 'type');
  if (typeof type !== 'string') throw KCR_ERR_PHASETWO_BODY(`"type" is ${describeJsonValue(type)}, not a string`);
  const time = readTime(obj);
  if (time === null) throw KCR_ERR_PHASETWO_BODY('"time" is missing');
  const id = readString(obj, 'id');
  const uid = readString(obj, 'uid');
  if (id === null && uid === null) throw KCR_ERR_PHASETWO_BODY('neither "id" nor "uid" names the event');
  const sent = readAuthDetails(member(obj, 'authDetails'));
  const origin: PhaseTwoOrigin = {
    id,
    uid,
    type,
    realmName: readString(obj, 'realmName'),
    resourceId: readString(obj, 'resourceId'),
    authDetails: sent,
  };
  const common = { uid: null, time, ...readCommonFields(obj), format: 'phasetwo', origin: { phasetwo: origin } } as const;

  const access = ACCESS.exec(type);
  if (access) {
    return {
      ...common,
      kind: 'event',
      type: access[1] as string,
      operationType: null,
      resourceType: null,
      resourcePath: null,
      representation: null,
      clientId: sent?.clientId ?? null,
      userId: sent?.userId ?? null,
      sessionId: sent?.sessionId ?? null,
      ipAddress: sent?.ipAddress ?? null,
      authDetails: null,
    };
  }
  const admin = ADMIN.exec(type);
  if (admin) {
    // The body's own operation and resource, when present, are what Keycloak's AdminEvent had.
    const operationType = readString(obj, 'operationType') ?? (admin[2] as string);
    const resourceType = readString(obj, 'resourceType') ?? (admin[1] as string);
    return { ...common, ...adminFields(obj, operationType, resourceType, adminAuthDetails(sent)) };
  }
  throw KCR_ERR_PHASETWO_BODY(`"type" ${describeJsonValue(type)} is neither access.<event type> nor admin.<resource>-<operation>`);
}

function readAuthDetails(value: unknown): PhaseTwoAuthDetails | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw KCR_ERR_FIELD_TYPE('authDetails', 'an object or null');
  const read = (field: (typeof AUTH_DETAILS_FIELDS)[number]) => readString(value, field, `authDetails.${field}`);
  return Object.fromEntries(AUTH_DETAILS_FIELDS.map((field) => [field, read(field)])) as unknown as PhaseTwoAuthDetails;
}

/**
 * The administrator, as the canonical event has one. Its realm is left null: p2 sends the admin
 * realm's NAME where the canonical field holds an id (the name stays in source.phasetwo).
 */
function adminAuthDetails(sent: PhaseTwoAuthDetails | null): AuthDetails | null {
  if (sent === null) return null;
  return { realmId: null, clientId: sent.clientId, userId: sent.userId, username: sent.username, ipAddress: sent.ipAddress };
}

/**
 * What deduplicates a p2 delivery: Keycloak's event id, the same for every webhook and every resend,
 * else p2's delivery id (repeated by its own retries); digested to a fixed size, never decimal.
 * Its window counts from the event's time (capped at `latestMs`, so that a far-future time cannot
 * keep a dedup record alive for years).
 */
export function phaseTwoDedupKey(origin: PhaseTwoOrigin, timeMs: number, latestMs: number): { key: string; timeMs: number } {
  const [kind, value] = origin.id !== null ? ['id', origin.id] : ['uid', origin.uid ?? ''];
  return { key: `phasetwo:${kind}:${createHash('sha256').update(value).digest('base64url')}`, timeMs: Math.min(timeMs, latestMs) };
}
