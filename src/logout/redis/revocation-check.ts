// The one-round-trip revocation check over Redis, shared by the relay's bus and the application-node
// client: a single MGET, since every key it reads is in the claims' realm, hence in one slot.
import type { Cluster, Redis } from 'ioredis';
import { isRevokedBy, scopesOf, type RevocationClaims } from '../revocation.js';
import { realmKeyBase } from './keys.js';

export async function isRevokedInRedis(redis: Redis | Cluster, prefix: string, claims: RevocationClaims): Promise<boolean> {
  const base = realmKeyBase(prefix, claims.realmId);
  const values = await redis.mget(...scopesOf(claims).map((scope) => base + scope));
  return isRevokedBy(
    values.map((v) => (v === null ? null : Number(v))),
    claims.iat,
  );
}
