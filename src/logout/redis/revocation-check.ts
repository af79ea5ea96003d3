// The one-round-trip revocation check over Redis, shared by the relay's bus and the application-node
// client: a single MGET per realm, since every key of a realm is in one slot.
import type { Cluster, Redis } from 'ioredis';
import { isRevokedBy, realmsOf, scopesOf, type RevocationClaims } from '../revocation.js';
import { realmKeyBase } from './keys.js';

export async function isRevokedInRedis(redis: Redis | Cluster, prefix: string, claims: RevocationClaims): Promise<boolean> {
  const scopes = scopesOf(claims);
  // One MGET per realm (a token names two when its issuer's realm name differs from its realm id):
  // sent together, so one round trip on a standalone connection.
  const perRealm = await Promise.all(
    realmsOf(claims).map((realm) => redis.mget(...scopes.map((scope) => realmKeyBase(prefix, realm) + scope))),
  );
  return isRevokedBy(
    perRealm.flat().map((v) => (v === null ? null : Number(v))),
    claims.iat,
  );
}
