// A verified logout token as the cluster's logout message: the same message, revocation, channels
// and SSE stream as an emitter event's (docs/logout.md, "Back-channel logout"). Pure.
import { createHash } from 'node:crypto';
import type { OnceMarker } from '../logout/bus.js';
import { realmOfIssuer } from '../logout/issuer-realm.js';
import type { LogoutMessage } from '../logout/message.js';
import { notBeforeOf } from '../logout/revocation.js';
import type { VerifiedLogoutToken } from './verify-logout-token.js';

/**
 * `sid` present: that session (kind `session`). Without it the spec asks to log the subject out of
 * this client: kind `user` narrowed to the client the token names (as consent revocation is), or
 * user-wide when the token names several accepted clients.
 */
export function logoutMessageOf(token: VerifiedLogoutToken, id: bigint, receivedAtMs: number): LogoutMessage {
  const messageId = id.toString();
  const clientId = token.audiences.length === 1 ? (token.audiences[0] as string) : null;
  return {
    v: 1,
    id: messageId,
    kind: token.sid === null ? 'user' : 'session',
    realmId: token.issuer.realmId ?? realmOfIssuer(token.issuer.issuer),
    userId: token.sub,
    sessionId: token.sid,
    clientId,
    // As for events: the second after the logout, at most the second after the token arrived (its
    // iat may be up to BACKCHANNEL_CLOCK_SKEW ahead).
    notBefore: notBeforeOf(token.iat * 1000, receivedAtMs),
    reason: 'backchannel',
    // No Keycloak event behind it: the message's own id stands in.
    eventUid: messageId,
    time: token.iat * 1000,
    issuer: token.issuer.issuer,
    jti: token.jti,
  };
}

/** A token may be accepted once per (issuer, jti) while it could still verify; digested to a fixed-size key. */
export function onceMarkerOf(token: VerifiedLogoutToken): OnceMarker {
  const key = createHash('sha256').update(`${token.issuer.issuer}\n${token.jti}`).digest('base64url');
  return { key, expiresAtMs: token.validUntil * 1000 };
}
