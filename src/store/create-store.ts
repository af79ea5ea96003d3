// Chooses the store from configuration: Redis (standalone or Cluster) when configured, else the
// embedded store in DATA_DIR (one process only).
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/env.js';
import { EmbeddedEventStore } from './embedded/embedded-store.js';
import type { EventStore } from './event-store.js';
import { createRedisClient, waitReady } from './redis/connect.js';
import { RedisEventStore } from './redis/redis-store.js';

export interface CreatedStore {
  store: EventStore;
  /** What the start-up log says about the store. */
  description: string;
}

export async function createStore(config: Config, log?: FastifyBaseLogger): Promise<CreatedStore> {
  const policy = {
    capacity: config.BUFFER_CAPACITY,
    overflow: config.BUFFER_OVERFLOW,
    dedupWindowMs: config.DEDUP_WINDOW,
  };
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) {
    const client = createRedisClient(config);
    const store = new RedisEventStore(client, policy, config.KEY_PREFIX, log);
    // Unreachable Redis at start is not fatal: ingest answers 503 and /readyz fails until it is back.
    const ready = await waitReady(client, 5_000);
    const where = config.REDIS_CLUSTER_NODES ? `Redis Cluster (${config.REDIS_CLUSTER_NODES.join(',')})` : 'Redis';
    return {
      store,
      description: `${where}${ready ? '' : ', not reachable yet: ingest answers 503 until it is'}`,
    };
  }
  const store = EmbeddedEventStore.open(config.DATA_DIR, policy);
  return {
    store,
    description: `embedded (node:sqlite in ${store.dataDir}): serves ONE replica only; set REDIS_URL to run several`,
  };
}
