// Durable revocation state, store-independent: each logout message becomes one `notBefore` on one
// scope of one realm, and a token is revoked when its `iat` is below the notBefore of any scope it
// falls in. Shared by the Redis and embedded buses and by the application-node client.
import { realmOfIssuer } from './issuer-realm.js';
import type { LogoutMessage } from './message.js';

/** What an application node knows about a token (decoded JWT claims). */
export interface RevocationClaims {
  /** Keycloak's realm id as in the events (not the realm name in `iss`); may be left out when `iss` is given. */
  realmId?: string | null;
  /**
   * The token's issuer: the revocations recorded under its realm name (back-channel logouts of an
   * issuer configured without realmId, src/logout/issuer-realm.ts) are checked too.
   */
  iss?: string | null;
  sub: string;
  sid?: string | null;
  azp?: string | null;
  /** Epoch seconds. */
  iat: number;
  /**
   * Keycloak's internal id (UUID) of the `azp` client: a client push-revocation names the client
   * only by it, so it is needed to see that revocation.
   */
  clientUuid?: string | null;
  /**
   * The token's `email`: needed to see a revocation an SSF transmitter named by email only (a
   * stream whose subjects are in `email` format).
   */
  email?: string | null;
}

export interface Revocation {
  realmId: string;
  /** `realm`, `session:<sid>`, `user:<userId>`, `user:<userId>:client:<clientId>`, `client:<clientId>` or `email:<email>`. */
  scope: string;
  /** Epoch seconds: tokens of the scope with `iat` below it are revoked. */
  notBefore: number;
}

/** A revocation as the store holds it (GET /admin/revocations). */
export interface StoredRevocation extends Revocation {
  /** Unix ms when the store forgets it (notBefore + REVOCATION_TTL). */
  expiresAt: number;
}

/**
 * The notBefore of a logout at `eventTimeMs` (Keycloak's clock) that the relay received at
 * `receivedAtMs` (its own): the second after the earlier of the two. With Keycloak's rule
 * `iat < notBefore`, every token issued up to and including that second is revoked. The event's own
 * second (Keycloak's choice) would leave valid a token issued in the same second before the logout;
 * the second after only costs a token issued in that second after it, which needs a fresh login.
 * The receive time caps it: an event stamped in the future (a node's clock ahead, a forged body)
 * cannot revoke tokens issued after it arrived, and a stored notBefore only ever rises.
 */
export function notBeforeOf(eventTimeMs: number, receivedAtMs: number): number {
  return Math.floor(Math.min(eventTimeMs, receivedAtMs) / 1000) + 1;
}

// Ids are URI-encoded so that a `:` inside one (LDAP-federated user ids are `f:<provider>:<id>`,
// SAML client ids are URNs) cannot make two scopes collide.
const id = (value: string): string => encodeURIComponent(value);

/** What a scope is made of: a logout message, or an operator naming the revocation to lift. */
export type ScopeTarget = Pick<LogoutMessage, 'kind' | 'userId' | 'sessionId' | 'clientId' | 'email'>;

/** The scope a message's revocation is recorded under; a kind's id (translate.ts's REQUIRED) must be set. */
export function scopeOf(target: ScopeTarget): string {
  switch (target.kind) {
    case 'session':
      return `session:${id(target.sessionId as string)}`;
    case 'user':
      // A user an SSF transmitter named by email only: revoked under the address as given.
      if (target.userId === null) return `email:${id(target.email as string)}`;
      return target.clientId === null ? `user:${id(target.userId)}` : `user:${id(target.userId)}:client:${id(target.clientId)}`;
    case 'client':
      return `client:${id(target.clientId as string)}`;
    case 'realm':
      return 'realm';
  }
}

/** scopeOf read backwards, for an operator: the kind and ids of a stored scope. */
export function targetOf(scope: string): ScopeTarget {
  const [kind, first, , second] = scope.split(':').map((part) => decodeURIComponent(part));
  const none = { userId: null, sessionId: null, clientId: null };
  switch (kind) {
    case 'session':
      return { ...none, kind, sessionId: first ?? null };
    case 'user':
      return { ...none, kind, userId: first ?? null, clientId: second ?? null };
    case 'email':
      return { ...none, kind: 'user', email: first ?? '' };
    case 'client':
      return { ...none, kind, clientId: first ?? null };
    default:
      return { ...none, kind: 'realm' };
  }
}

export function revocationOf(message: LogoutMessage): Revocation {
  return { realmId: message.realmId, scope: scopeOf(message), notBefore: message.notBefore };
}

/** The realms whose revocations apply to a token: its realm id, and the realm its issuer names (none: a caller error). */
export function realmsOf(claims: Pick<RevocationClaims, 'realmId' | 'iss'>): string[] {
  const realms = new Set<string>();
  if (claims.realmId) realms.add(claims.realmId);
  if (claims.iss) realms.add(realmOfIssuer(claims.iss));
  return [...realms];
}

/** Every scope a token with these claims falls in: one lookup each, in each of realmsOf(claims). */
export function scopesOf(claims: RevocationClaims): string[] {
  const scopes = ['realm', `user:${id(claims.sub)}`];
  if (claims.sid) scopes.push(`session:${id(claims.sid)}`);
  if (claims.azp) scopes.push(`client:${id(claims.azp)}`, `user:${id(claims.sub)}:client:${id(claims.azp)}`);
  if (claims.clientUuid) scopes.push(`client:${id(claims.clientUuid)}`);
  if (claims.email) scopes.push(`email:${id(claims.email)}`);
  return scopes;
}

/** The notBefore values found for scopesOf(claims) (null = none recorded) against the token's iat. */
export function isRevokedBy(notBefores: ReadonlyArray<number | null>, iat: number): boolean {
  return notBefores.some((notBefore) => notBefore !== null && iat < notBefore);
}
