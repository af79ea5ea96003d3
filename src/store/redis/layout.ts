// The partition count of the data under a KEY_PREFIX is fixed for the store's lifetime: a uid's
// dedup hash and ring buffer entry live in the partition of its uid, so reading with another count
// would look for them elsewhere and silently split a uid's history (a resend stored twice). The
// count is recorded by the first relay and every later one must run with it. Data of a relay
// before tags (no tags version recorded) is brought up to date here too.
import type { Redis } from 'ioredis';
import { KCR_ERR_STORE_LAYOUT } from '../../errors.js';
import type { RedisClient } from '../../backend/redis/connect.js';
import type { Tagging } from '../tags.js';
import { layoutKey, partitionKeys, tagsVersionKey } from './keys.js';

/**
 * Version of the tags' layout. 1: groups' filters in the `only` hash of each partition. Relays before
 * tags had none: its entries already named their one tag as a field (so they read as tagged entries do),
 * and its one filtered group read by that tag in code; the hash learns it here.
 */
const TAGS_VERSION = '1';

/** Throws KCR_ERR_STORE_LAYOUT when the data was written with another PARTITIONS; a Redis failure as it comes. */
export async function verifyLayout(client: RedisClient, prefix: string, partitions: number, legacy?: Tagging['legacy']): Promise<void> {
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
  await migrateTags(redis, prefix, partitions, legacy);
}

/** Idempotent: run again after a crash between its steps, it does the same. */
async function migrateTags(redis: Redis, prefix: string, partitions: number, legacy: Tagging['legacy']): Promise<void> {
  if (legacy === undefined || (await redis.get(tagsVersionKey(prefix))) === TAGS_VERSION) return;
  for (let p = 0; p < partitions; p++) {
    // NX: a filter a newer relay recorded for the group already stands.
    await redis.hsetnx(partitionKeys(prefix, p).only, legacy.group, legacy.tag);
  }
  await redis.set(tagsVersionKey(prefix), TAGS_VERSION);
}
