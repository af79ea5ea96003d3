// Which realm a token's issuer names. Emitter events carry Keycloak's internal realm id (a UUID for
// realms other than master); tokens carry only `iss` = `<frontend URL>/realms/<realm name>`. A
// back-channel logout whose issuer has no configured realmId is recorded under the realm NAME, and
// an application node that passes `iss` to isRevoked checks that realm too (docs/logout.md, "Realms").
// Shared by the relay and the application-node client, so it imports nothing server-side.

/** `shop` for `https://kc.example/realms/shop` (also `/auth/realms/…`); the issuer itself for other identity providers. */
export function realmOfIssuer(issuer: string): string {
  const match = /\/realms\/([^/?#]+)\/?$/.exec(issuer);
  if (!match) return issuer;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return issuer;
  }
}
