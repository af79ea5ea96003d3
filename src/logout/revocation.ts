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

// Ids are URI-encoded so that a `:` inside one (LDAP-federated user ids are `f:<provider>:<id>`,
// SAML client ids are URNs) cannot make two scopes collide.
const id = (value: string): string => encodeURIComponent(value);

export function revocationOf(message: LogoutMessage): Revocation {
  const { realmId, notBefore } = message;
  const at = (scope: string): Revocation => ({ realmId, scope, notBefore });
  switch (message.kind) {
    case 'session':
      return at(`session:${id(message.sessionId as string)}`);
    case 'user':
      // A user an SSF transmitter named by email only: revoked under the address as given.
      if (message.userId === null) return at(`email:${id(message.email as string)}`);
      return at(message.clientId === null ? `user:${id(message.userId)}` : `user:${id(message.userId)}:client:${id(message.clientId)}`);
    case 'client':
      return at(`client:${id(message.clientId as string)}`);
    case 'realm':
      return at('realm');
  }
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
