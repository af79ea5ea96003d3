// The partition count of the data under a KEY_PREFIX is fixed for the store's lifetime: a uid's
// dedup hash and ring buffer entry live in the partition of its uid, so reading with another count
// would look for them elsewhere and silently split a uid's history (a resend stored twice). The
// count is recorded by the first relay and every later one must run with it.
import type { Redis } from 'ioredis';
import { KCR_ERR_STORE_LAYOUT } from '../../errors.js';
import type { RedisClient } from '../../redis/connect.js';
import { layoutKey, partitionKeys } from './keys.js';

/** Throws KCR_ERR_STORE_LAYOUT when the data was written with another PARTITIONS; a Redis failure as it comes. */
export async function verifyLayout(client: RedisClient, prefix: string, partitions: number): Promise<void> {
  const redis = client as Redis;
  const key = layoutKey(prefix);
  let recorded = await redis.get(key);
  if (recorded === null) {
    // Data from before the layout was recorded is of the one-partition layout.
    const legacy = (await redis.exists(partitionKeys(prefix, 0).events)) === 1 ? '1' : null;
    if (legacy !== null && partitions !== 1) throw KCR_ERR_STORE_LAYOUT(prefix, Number(legacy), partitions);
    await redis.set(key, String(partitions), 'NX');
    recorded = await redis.get(key);
  }
  if (recorded !== String(partitions)) throw KCR_ERR_STORE_LAYOUT(prefix, Number(recorded), partitions);
}
