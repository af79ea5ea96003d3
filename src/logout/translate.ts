// Which Keycloak events end sessions, and what logout message each one becomes: ONE table
// (docs/logout.md, "Which events"). Pure: the message id
// comes from the caller's snowflake generator.
import type { CanonicalEvent } from '../event/canonical.js';
import { CREDENTIAL_CHANGE, SESSION_REVOKED } from '../event/security-events.js';
import type { LogoutKind, LogoutMessage, LogoutReason } from './message.js';
import { notBeforeOf } from './revocation.js';

/** The ids a row reads from an event; what the kind needs (see REQUIRED) must be there. */
interface Ids {
  userId?: string | null;
  sessionId?: string | null;
  clientId?: string | null;
  /** A Security Event Token's `email` subject: the user as the transmitter named it. */
  email?: string | null;
}

/** What the operator decided (SSF_CREDENTIAL_CHANGE): whether a credential change ends the user's sessions. */
export interface TranslateOptions {
  credentialChange: 'forward' | 'logout';
}

const DEFAULT_OPTIONS: TranslateOptions = { credentialChange: 'forward' };

interface Row {
  kind: LogoutKind;
  reason: LogoutReason;
  /** The row's ids when `event` is the row's event, else null. */
  match(event: CanonicalEvent, options: TranslateOptions): Ids | null;
}

/** A user Event of one type. */
const userEvent =
  (type: string, ids: (e: CanonicalEvent) => Ids) =>
  (e: CanonicalEvent): Ids | null =>
    e.kind === 'event' && e.type === type ? ids(e) : null;

/**
 * An AdminEvent on a resource type, by one of the operations, whose realm-relative resourcePath
 * matches `path`; `ids` gets the path's captures, URI-decoded.
 */
const adminEvent =
  (resourceType: string, operations: readonly string[], path: RegExp, ids: (captures: string[], e: CanonicalEvent) => Ids | null) =>
  (e: CanonicalEvent): Ids | null => {
    if (e.kind !== 'admin' || e.resourceType !== resourceType || !operations.includes(e.operationType ?? '')) return null;
    const match = path.exec(normalisePath(e.resourcePath));
    if (!match) return null;
    const captures = match.slice(1).map(decodeSegment);
    return captures.includes(null) ? null : ids(captures as string[], e);
  };

/** Builds put the path with or without slashes around it, and never a query, but tolerate one. */
function normalisePath(path: string | null): string {
  return (path ?? '').replace(/[?#].*$/, '').replace(/^\/+|\/+$/g, '');
}

function decodeSegment(segment: string | undefined): string | null {
  try {
    return segment === undefined ? null : decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The user an admin session deletion concerned, when the 2020+ emitter's details name it. */
const targetUser = (e: CanonicalEvent): string | null => e.details.target_user_id ?? e.details.user_id ?? null;

/**
 * `enabled:false` in a user representation. A representation cut short (Keycloak or a proxy
 * truncating it) is not JSON: a tolerant look for the top-level flag still finds it, since
 * Jackson writes `enabled` before the long fields. No representation (admin events recorded
 * without it) says nothing: no message.
 */
export function disablesUser(representation: string | null): boolean {
  if (!representation) return false;
  try {
    const parsed: unknown = JSON.parse(representation);
    return typeof parsed === 'object' && parsed !== null && (parsed as { enabled?: unknown }).enabled === false;
  } catch {
    return /"enabled"\s*:\s*false\b/.test(representation);
  }
}

/** A Security Event Token of one event type (POST /ssf/push); its subject is userId or details.email. */
const securityEvent =
  (type: string, ids: (e: CanonicalEvent, options: TranslateOptions) => Ids | null) =>
  (e: CanonicalEvent, options: TranslateOptions): Ids | null =>
    e.kind === 'security-event' && e.type === type ? ids(e, options) : null;

const subjectOf = (e: CanonicalEvent): Ids => ({ userId: e.userId, email: e.details.email ?? null });

const SEGMENT = '([^/]+)';
const path = (pattern: string): RegExp => new RegExp(`^${pattern.replaceAll('{}', SEGMENT)}$`);

export const LOGOUT_TABLE: readonly Row[] = [
  // User logged out (front- or back-channel): that one session.
  {
    kind: 'session',
    reason: 'logout',
    match: userEvent('LOGOUT', (e) => ({ sessionId: e.sessionId, userId: e.userId, clientId: e.clientId })),
  },
  // Admin "Sign out" of a user: Keycloak sets the user's notBefore and drops all their sessions.
  { kind: 'user', reason: 'admin-logout', match: adminEvent('USER', ['ACTION'], path('users/{}/logout'), ([userId]) => ({ userId })) },
  // Admin deletes one session.
  {
    kind: 'session',
    reason: 'session-deleted',
    match: adminEvent('USER_SESSION', ['DELETE'], path('sessions/{}'), ([sessionId], e) => ({ sessionId, userId: targetUser(e) })),
  },
  // Realm-wide logout: Keycloak sets the realm's notBefore to now.
  { kind: 'realm', reason: 'logout-all', match: adminEvent('REALM', ['ACTION'], path('logout-all'), () => ({})) },
  // Realm not-before push. The event does not carry the notBefore the admin set, which is at most
  // the event's time: the event's time is used, which revokes at least as much.
  { kind: 'realm', reason: 'push-revocation', match: adminEvent('REALM', ['ACTION'], path('push-revocation'), () => ({})) },
  // Client not-before push; `{id}` is Keycloak's internal client id, not the client_id (`azp`).
  {
    kind: 'client',
    reason: 'push-revocation',
    match: adminEvent('CLIENT', ['ACTION'], path('clients/{}/push-revocation'), ([clientId]) => ({ clientId })),
  },
  { kind: 'user', reason: 'user-deleted', match: adminEvent('USER', ['DELETE'], path('users/{}'), ([userId]) => ({ userId })) },
  {
    kind: 'user',
    reason: 'user-disabled',
    match: adminEvent('USER', ['UPDATE'], path('users/{}'), ([userId], e) => (disablesUser(e.representation) ? { userId } : null)),
  },
  // Consent revoked (with the client's offline tokens): a user revocation narrowed to one client,
  // so `kind: user` with clientId set. A subscriber that ignores clientId over-revokes one user;
  // `kind: client` would make it over-revoke the whole client. The path's `{clientId}` is the
  // client_id (`azp`). Keycloak records it as ACTION; DELETE (the HTTP verb) is accepted too.
  {
    kind: 'user',
    reason: 'consent-revoked',
    match: adminEvent('USER', ['ACTION', 'DELETE'], path('users/{}/consents/{}'), ([userId, clientId]) => ({ userId, clientId })),
  },
  // Same, from the account console: the event's clientId is the console, `revoked_client` the client.
  {
    kind: 'user',
    reason: 'consent-revoked',
    match: userEvent('REVOKE_GRANT', (e) => ({ userId: e.userId, clientId: e.details.revoked_client ?? e.clientId })),
  },
  { kind: 'user', reason: 'account-deleted', match: userEvent('DELETE_ACCOUNT', (e) => ({ userId: e.userId })) },
  { kind: 'user', reason: 'user-locked-out', match: userEvent('USER_DISABLED_BY_PERMANENT_LOCKOUT', (e) => ({ userId: e.userId })) },
  {
    kind: 'user',
    reason: 'user-temporarily-locked-out',
    match: userEvent('USER_DISABLED_BY_TEMPORARY_LOCKOUT', (e) => ({ userId: e.userId })),
  },
  // SSF (Keycloak's transmitter): a revoked session, or every session of the user when the SET
  // names none (Keycloak's "ALL", for an admin's sign-out of the user, is stored as none).
  {
    kind: 'session',
    reason: 'session-revoked',
    match: securityEvent(SESSION_REVOKED, (e) => (e.sessionId ? { ...subjectOf(e), sessionId: e.sessionId } : null)),
  },
  { kind: 'user', reason: 'session-revoked', match: securityEvent(SESSION_REVOKED, (e) => (e.sessionId ? null : subjectOf(e))) },
  // A password reset or a removed credential: the user's sessions end only when the operator says so.
  {
    kind: 'user',
    reason: 'credential-change',
    match: securityEvent(CREDENTIAL_CHANGE, (e, options) => (options.credentialChange === 'logout' ? subjectOf(e) : null)),
  },
];

/** Whether the ids hold what a message of the kind cannot do without: without it nothing could be revoked. */
const REQUIRED: Record<LogoutKind, (ids: Ids) => boolean> = {
  session: (ids) => Boolean(ids.sessionId),
  // A transmitter may name the user by email only (as given: the subscriber maps it).
  user: (ids) => Boolean(ids.userId || ids.email),
  client: (ids) => Boolean(ids.clientId),
  realm: () => true,
};

/**
 * The logout messages of one stored event: none when it ended nothing. An event with `error` set
 * records a failure (Keycloak names failed user events `<TYPE>_ERROR`, and a failed admin
 * operation changed nothing), so for every row it publishes nothing.
 */
export function translate(event: CanonicalEvent, nextId: () => bigint, options: TranslateOptions = DEFAULT_OPTIONS): LogoutMessage[] {
  if (event.error !== null || !event.realmId) return [];
  const ssf = event.source.ssf;
  const messages: LogoutMessage[] = [];
  // The times are read once a row matches: ingest asks this of every event, and most end nothing.
  let time = 0;
  let notBefore = 0;
  for (const row of LOGOUT_TABLE) {
    const ids = row.match(event, options);
    if (!ids || !REQUIRED[row.kind](ids)) continue;
    if (messages.length === 0) {
      time = event.time !== null && event.time > 0 ? event.time : Date.parse(event.emittedAt);
      // The stored event carries when the relay received it: no clock but the relay's bounds the revocation.
      notBefore = notBeforeOf(time, Date.parse(event.receivedAt));
    }
    messages.push({
      v: 1,
      id: nextId().toString(),
      kind: row.kind,
      realmId: event.realmId,
      userId: ids.userId ?? null,
      sessionId: ids.sessionId ?? null,
      clientId: ids.clientId ?? null,
      notBefore,
      reason: row.reason,
      eventUid: event.uid,
      time,
      ...(ids.email ? { email: ids.email } : {}),
      ...(ssf ? { issuer: ssf.issuer, jti: ssf.jti } : {}),
    });
  }
  return messages;
}

/**
 * Whether the event ends sessions: ingest stores the answer with it as a tag, so that the logout
 * group is handed only these (./group.ts).
 */
export function endsSessions(event: CanonicalEvent, options: TranslateOptions = DEFAULT_OPTIONS): boolean {
  return translate(event, () => 0n, options).length > 0;
}
