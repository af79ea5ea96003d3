// Decodes a verified Security Event Token (RFC 8417) as Keycloak's SSF transmitter builds it into
// the canonical event, kind `security-event`: its one event's type URI as `type`, its subject as
// userId (an `iss_sub` subject) or details.email (an `email` one), the session it names (none for
// Keycloak's "ALL": every session of the user), the event's members as details, and the claims as
// signed in `representation`, so destinations receive all of it. Pure; the signature, issuer,
// audience and times are checked before (src/backchannel/security-event-token.ts).
import type { JWTPayload } from 'jose';
import { ALL_SESSIONS } from '../event/security-events.js';
import { KCR_ERR_SSF_REQUEST } from '../errors.js';
import { describeJsonValue } from './describe.js';
import type { DecodedBody } from './index.js';
import { isObject, member } from './json-event.js';

export interface VerifiedSet {
  /** The SET's `iss`, a configured issuer. */
  issuer: string;
  /** The realm its events belong to: the issuer's configured realmId, else the realm its URL names. */
  realmId: string;
  payload: JWTPayload;
  /** The payload as signed (base64url-decoded), kept as the event's representation. */
  payloadText: string;
}

interface Subject {
  userId: string | null;
  email: string | null;
  sessionId: string | null;
  format: string | null;
}

/** Throws KCR_ERR_SSF_REQUEST (the transmitter's SET is malformed). */
export function decodeSecurityEvent(set: VerifiedSet): DecodedBody {
  const { payload } = set;
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '') throw KCR_ERR_SSF_REQUEST('jti must be a non-empty string');
  const events = payload.events;
  if (!isObject(events)) throw KCR_ERR_SSF_REQUEST('events must be a JSON object');
  const entries = Object.entries(events);
  // Keycloak's encoder sends exactly one; a SET is stored as one event, so it must hold one.
  if (entries.length !== 1) throw KCR_ERR_SSF_REQUEST(`events must hold exactly one event, it holds ${entries.length}`);
  const [type, event] = entries[0] as [string, unknown];
  if (!isObject(event)) throw KCR_ERR_SSF_REQUEST(`the event ${describeJsonValue(type)} must be a JSON object`);
  const subject = subjectOf(payload);
  const timestamp = member(event, 'event_timestamp');
  const seconds = typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? timestamp : (payload.iat as number);
  const txn = payload.txn;

  return {
    kind: 'security-event',
    uid: null,
    time: seconds * 1000,
    type,
    operationType: null,
    resourceType: null,
    resourcePath: null,
    representation: set.payloadText,
    realmId: set.realmId,
    clientId: null,
    userId: subject.userId,
    sessionId: subject.sessionId,
    ipAddress: null,
    error: null,
    details: {
      ...detailsOf(event),
      ...(subject.format !== null ? { subject_format: subject.format } : {}),
      ...(subject.email !== null ? { email: subject.email } : {}),
    },
    authDetails: null,
    schema: null,
    keycloak: null,
    enumBytes: null,
    format: 'ssf',
    origin: { ssf: { issuer: set.issuer, jti, txn: typeof txn === 'string' ? txn : null } },
  };
}

/** `sub_id` (RFC 9493): `complex` with a user and a session, or the user alone; the legacy `sub` claim else. */
function subjectOf(payload: JWTPayload): Subject {
  const subId = payload.sub_id;
  if (!isObject(subId)) {
    return { userId: typeof payload.sub === 'string' ? payload.sub : null, email: null, sessionId: null, format: null };
  }
  const format = text(member(subId, 'format'));
  const user = format === 'complex' ? member(subId, 'user') : subId;
  const session = format === 'complex' ? member(subId, 'session') : undefined;
  const sessionId = isObject(session) ? text(member(session, 'id')) : null;
  const userFormat = isObject(user) ? text(member(user, 'format')) : null;
  return {
    userId: isObject(user) && userFormat === 'iss_sub' ? text(member(user, 'sub')) : null,
    email: isObject(user) && userFormat === 'email' ? text(member(user, 'email')) : null,
    // "ALL" is no session: every session of the user (an admin's sign-out of the user).
    sessionId: sessionId === ALL_SESSIONS ? null : sessionId,
    format: format === 'complex' ? `complex/${userFormat ?? 'unknown'}` : format,
  };
}

/** The event's members as text: strings as they are, numbers and booleans printed, objects as JSON. */
function detailsOf(event: Record<string, unknown>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(event).map(([key, value]): [string, string | null] => [
      key,
      value === null || typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value as number),
    ]),
  );
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
