// The cluster logout message (docs/contract.md, "Cluster logout messages") and the channels it goes
// out on. Shared by the relay and the application-node client, so it imports nothing server-side.

export const LOGOUT_KINDS = ['session', 'user', 'client', 'realm'] as const;
export type LogoutKind = (typeof LOGOUT_KINDS)[number];

export type LogoutReason =
  | 'logout'
  | 'admin-logout'
  | 'session-deleted'
  | 'logout-all'
  | 'push-revocation'
  | 'user-deleted'
  | 'user-disabled'
  | 'consent-revoked'
  | 'account-deleted'
  | 'user-locked-out'
  | 'user-temporarily-locked-out'
  /** An OIDC back-channel logout token (POST /backchannel-logout), not an emitter event. */
  | 'backchannel'
  /** A CAEP session-revoked Security Event Token (POST /ssf/push). */
  | 'session-revoked'
  /** A CAEP credential-change Security Event Token, with SSF_CREDENTIAL_CHANGE=logout. */
  | 'credential-change';

export interface LogoutMessage {
  v: 1;
  /** Snowflake of this publication (decimal); a redelivery after a crash publishes a new id for the same eventUid. */
  id: string;
  kind: LogoutKind;
  realmId: string;
  userId: string | null;
  sessionId: string | null;
  clientId: string | null;
  /** Epoch seconds: tokens in scope whose `iat` is below it are revoked (Keycloak's own notBefore rule). */
  notBefore: number;
  reason: LogoutReason;
  /** uid of the Keycloak event that ended the session(s); for a back-channel logout, the message id. */
  eventUid: string;
  /** Keycloak's event time, epoch ms. */
  time: number;
  /** Back-channel logouts and Security Event Tokens only: the token's `iss` (the realm's URL) and `jti`. */
  issuer?: string;
  jti?: string;
  /** Security Event Tokens naming the user by email only: the address as the transmitter gave it. */
  email?: string;
}

/** `<prefix>logout`: every realm's messages. */
export function allRealmsChannel(prefix: string): string {
  return `${prefix}logout`;
}

/** `<prefix>logout:<realmId>`: one realm's messages. */
export function realmChannel(prefix: string, realmId: string): string {
  return `${prefix}logout:${realmId}`;
}
