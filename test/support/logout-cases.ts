// Every row of the session-ending table (src/logout/translate.ts), and events that must publish
// nothing, as the emitter sends them: Jackson JSON (Keycloak 26 shape, nulls written) and FlatBuffer
// (emitter-kc26 tables, the one build whose enums know every row's event type).
import { Builder } from 'flatbuffers';
import { AdminEvent } from '../../generated/emitterkc26/admin-event.js';
import { AuthDetails } from '../../generated/emitterkc26/auth-details.js';
import { EventType } from '../../generated/emitterkc26/event-type.js';
import { Event } from '../../generated/emitterkc26/event.js';
import { OperationType } from '../../generated/emitterkc26/operation-type.js';
import { ResourceType } from '../../generated/emitterkc26/resource-type.js';
import { Tuple } from '../../generated/emitterkc26/tuple.js';
import type { LogoutMessage } from '../../src/logout/message.js';
import { withUid } from './payloads.js';

export const REALM = 'corp';
export const USER = '0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3';
export const SESSION = 'e1f3b5a2-7c44-4d0b-9b1e-3a6f2c8d9e01';
export const CLIENT_UUID = '6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b';
const ADMIN = {
  realmId: 'master',
  clientId: 'security-admin-console',
  userId: 'a1d2m3i4-0000-4000-8000-000000000001',
  username: 'admin',
  ipAddress: '10.0.0.9',
};

interface UserEventSpec {
  type: keyof typeof EventType;
  clientId?: string | null;
  userId?: string | null;
  sessionId?: string | null;
  error?: string | null;
  details?: Record<string, string>;
}

interface AdminEventSpec {
  resourceType: keyof typeof ResourceType;
  operationType: keyof typeof OperationType;
  resourcePath: string;
  representation?: string | null;
  error?: string | null;
}

export interface LogoutCase {
  name: string;
  event?: UserEventSpec;
  admin?: AdminEventSpec;
  /** The message's fields that depend on the row; null = the event publishes nothing. */
  expected: Pick<LogoutMessage, 'kind' | 'reason' | 'userId' | 'sessionId' | 'clientId'> | null;
}

const userRep = (enabled: boolean) =>
  JSON.stringify({
    id: USER,
    createdTimestamp: 1740000000000,
    username: 'josé',
    enabled,
    totp: false,
    emailVerified: true,
    firstName: '日本',
    attributes: { enabled: ['false'] },
    access: { manage: true },
  });

export const ROWS: LogoutCase[] = [
  {
    name: 'Event LOGOUT',
    event: { type: 'LOGOUT', clientId: 'web-shop', userId: USER, sessionId: SESSION, details: { redirect_uri: 'https://shop.example/' } },
    expected: { kind: 'session', reason: 'logout', userId: USER, sessionId: SESSION, clientId: 'web-shop' },
  },
  {
    name: 'admin USER ACTION users/{id}/logout',
    admin: { resourceType: 'USER', operationType: 'ACTION', resourcePath: `users/${USER}/logout` },
    expected: { kind: 'user', reason: 'admin-logout', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'admin USER_SESSION DELETE sessions/{id}',
    admin: { resourceType: 'USER_SESSION', operationType: 'DELETE', resourcePath: `sessions/${SESSION}` },
    expected: { kind: 'session', reason: 'session-deleted', userId: null, sessionId: SESSION, clientId: null },
  },
  {
    name: 'admin REALM ACTION logout-all',
    admin: {
      resourceType: 'REALM',
      operationType: 'ACTION',
      resourcePath: 'logout-all',
      representation: '{"successRequests":[],"failedRequests":[]}',
    },
    expected: { kind: 'realm', reason: 'logout-all', userId: null, sessionId: null, clientId: null },
  },
  {
    name: 'admin REALM ACTION push-revocation',
    admin: {
      resourceType: 'REALM',
      operationType: 'ACTION',
      resourcePath: 'push-revocation',
      representation: '{"successRequests":["https://app/"]}',
    },
    expected: { kind: 'realm', reason: 'push-revocation', userId: null, sessionId: null, clientId: null },
  },
  {
    name: 'admin CLIENT ACTION clients/{id}/push-revocation',
    admin: { resourceType: 'CLIENT', operationType: 'ACTION', resourcePath: `clients/${CLIENT_UUID}/push-revocation` },
    expected: { kind: 'client', reason: 'push-revocation', userId: null, sessionId: null, clientId: CLIENT_UUID },
  },
  {
    name: 'admin USER DELETE users/{id}',
    admin: { resourceType: 'USER', operationType: 'DELETE', resourcePath: `users/${USER}` },
    expected: { kind: 'user', reason: 'user-deleted', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'admin USER UPDATE users/{id} with enabled:false',
    admin: { resourceType: 'USER', operationType: 'UPDATE', resourcePath: `users/${USER}`, representation: userRep(false) },
    expected: { kind: 'user', reason: 'user-disabled', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'admin USER UPDATE users/{id} with a truncated representation showing enabled:false',
    admin: { resourceType: 'USER', operationType: 'UPDATE', resourcePath: `users/${USER}`, representation: userRep(false).slice(0, 112) },
    expected: { kind: 'user', reason: 'user-disabled', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'admin USER ACTION users/{id}/consents/{clientId}',
    admin: { resourceType: 'USER', operationType: 'ACTION', resourcePath: `users/${USER}/consents/urn%3Apartner%3Aportal` },
    expected: { kind: 'user', reason: 'consent-revoked', userId: USER, sessionId: null, clientId: 'urn:partner:portal' },
  },
  {
    name: 'Event REVOKE_GRANT',
    event: { type: 'REVOKE_GRANT', clientId: 'account-console', userId: USER, details: { revoked_client: 'mobile-app' } },
    expected: { kind: 'user', reason: 'consent-revoked', userId: USER, sessionId: null, clientId: 'mobile-app' },
  },
  {
    name: 'Event DELETE_ACCOUNT',
    event: { type: 'DELETE_ACCOUNT', clientId: 'account-console', userId: USER, sessionId: SESSION },
    expected: { kind: 'user', reason: 'account-deleted', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'Event USER_DISABLED_BY_PERMANENT_LOCKOUT',
    event: { type: 'USER_DISABLED_BY_PERMANENT_LOCKOUT', clientId: 'web-shop', userId: USER },
    expected: { kind: 'user', reason: 'user-locked-out', userId: USER, sessionId: null, clientId: null },
  },
  {
    name: 'Event USER_DISABLED_BY_TEMPORARY_LOCKOUT',
    event: { type: 'USER_DISABLED_BY_TEMPORARY_LOCKOUT', clientId: 'web-shop', userId: USER },
    expected: { kind: 'user', reason: 'user-temporarily-locked-out', userId: USER, sessionId: null, clientId: null },
  },
];

export const NOTHING: LogoutCase[] = [
  { name: 'Event LOGIN', event: { type: 'LOGIN', clientId: 'web-shop', userId: USER, sessionId: SESSION }, expected: null },
  { name: 'Event LOGOUT_ERROR', event: { type: 'LOGOUT_ERROR', userId: USER, error: 'user_session_not_found' }, expected: null },
  {
    name: 'Event LOGOUT with error set',
    event: { type: 'LOGOUT', userId: USER, sessionId: SESSION, error: 'invalid_token' },
    expected: null,
  },
  {
    name: 'admin USER_SESSION DELETE with error set',
    admin: { resourceType: 'USER_SESSION', operationType: 'DELETE', resourcePath: `sessions/${SESSION}`, error: 'unknown_error' },
    expected: null,
  },
  {
    name: 'admin USER UPDATE users/{id} with enabled:true',
    admin: { resourceType: 'USER', operationType: 'UPDATE', resourcePath: `users/${USER}`, representation: userRep(true) },
    expected: null,
  },
  {
    name: 'admin USER UPDATE users/{id} without representation',
    admin: { resourceType: 'USER', operationType: 'UPDATE', resourcePath: `users/${USER}`, representation: null },
    expected: null,
  },
  {
    name: 'admin USER UPDATE users/{id} truncated before enabled',
    admin: { resourceType: 'USER', operationType: 'UPDATE', resourcePath: `users/${USER}`, representation: userRep(false).slice(0, 60) },
    expected: null,
  },
  {
    name: 'admin USER CREATE users/{id}',
    admin: { resourceType: 'USER', operationType: 'CREATE', resourcePath: `users/${USER}`, representation: userRep(false) },
    expected: null,
  },
  {
    name: 'admin USER DELETE users/{id}/groups/{g}',
    admin: { resourceType: 'GROUP_MEMBERSHIP', operationType: 'DELETE', resourcePath: `users/${USER}/groups/g1` },
    expected: null,
  },
  {
    name: 'admin CLIENT ACTION clients/{id}/push-revocation with error set',
    admin: { resourceType: 'CLIENT', operationType: 'ACTION', resourcePath: `clients/${CLIENT_UUID}/push-revocation`, error: 'failed' },
    expected: null,
  },
];

export function jsonBody(c: LogoutCase, uid: string, timeMs: number): string {
  if (c.event) {
    const e = c.event;
    return withUid(
      {
        id: null,
        time: timeMs,
        type: e.type,
        realmId: REALM,
        realmName: null,
        clientId: e.clientId ?? null,
        userId: e.userId ?? null,
        sessionId: e.sessionId ?? null,
        ipAddress: '10.0.0.7',
        error: e.error ?? null,
        details: { ...(e.userId ? { username: 'josé' } : {}), ...e.details },
      },
      uid,
    );
  }
  const a = c.admin as AdminEventSpec;
  return withUid(
    {
      id: null,
      time: timeMs,
      realmId: REALM,
      realmName: null,
      extAuthDetails: { ...ADMIN, realmName: null },
      resourceType: a.resourceType,
      operationType: a.operationType,
      resourcePath: a.resourcePath,
      representation: a.representation ?? null,
      error: a.error ?? null,
      details: {},
    },
    uid,
  );
}

/** The emitter's FLATBUFFER body: `{"type","obj"}` around an emitter-kc26 table. */
export function flatBufferBody(c: LogoutCase, uid: string, timeMs: number): string {
  const b = new Builder(512);
  const str = (s: string | null | undefined): number => (s === null || s === undefined ? 0 : b.createString(s));
  if (c.event) {
    const e = c.event;
    const tuples = Object.entries({ ...(e.userId ? { username: 'josé' } : {}), ...e.details }).map(([k, v]) =>
      Tuple.createTuple(b, b.createString(k), b.createString(v)),
    );
    const details = Event.createDetailsVector(b, tuples);
    const offsets = [REALM, e.clientId, e.userId, e.sessionId, '10.0.0.7', e.error].map(str);
    const [realm, client, user, session, ip, error] = offsets as [number, number, number, number, number, number];
    b.finish(Event.createEvent(b, BigInt(uid), BigInt(timeMs), EventType[e.type], realm, client, user, session, ip, error, details));
    return JSON.stringify({ type: 'Event', obj: Buffer.from(b.asUint8Array()).toString('base64') });
  }
  const a = c.admin as AdminEventSpec;
  const auth = AuthDetails.createAuthDetails(
    b,
    str(ADMIN.realmId),
    str(ADMIN.clientId),
    str(ADMIN.userId),
    str(ADMIN.username),
    str(ADMIN.ipAddress),
  );
  const details = AdminEvent.createDetailsVector(b, []);
  const [realm, path, representation, error] = [REALM, a.resourcePath, a.representation, a.error].map(str) as [
    number,
    number,
    number,
    number,
  ];
  AdminEvent.startAdminEvent(b);
  AdminEvent.addUid(b, BigInt(uid));
  AdminEvent.addTime(b, BigInt(timeMs));
  AdminEvent.addRealmId(b, realm);
  AdminEvent.addAuthDetails(b, auth);
  AdminEvent.addDetails(b, details);
  AdminEvent.addResourceType(b, ResourceType[a.resourceType]);
  AdminEvent.addOperationType(b, OperationType[a.operationType]);
  AdminEvent.addResourcePath(b, path);
  if (representation) AdminEvent.addRepresentation(b, representation);
  if (error) AdminEvent.addError(b, error);
  b.finish(AdminEvent.endAdminEvent(b));
  return JSON.stringify({ type: 'AdminEvent', obj: Buffer.from(b.asUint8Array()).toString('base64') });
}

export const BODY_FORMATS = { json: jsonBody, flatbuffer: flatBufferBody } as const;
export type BodyFormatName = keyof typeof BODY_FORMATS;

/** The second after the event: every token issued up to the event's second is revoked. */
export const notBeforeOf = (timeMs: number): number => Math.floor(timeMs / 1000) + 1;
