// The one place that decides the store from configuration: Redis (standalone or Cluster) when
// configured, else the embedded store in DATA_DIR (one process only). Other stages that keep state
// beside the event store get their backend (src/backend/backend.ts) from what is decided here.
import type { FastifyBaseLogger } from 'fastify';
import { KCR_ERR_CONFIG, KCR_ERR_STORE_LAYOUT, type KcrError } from '../errors.js';
import type { Backend } from '../backend/backend.js';
import { createRedisClient, waitReady, type RedisClient, type RedisConnectionConfig } from '../backend/redis/connect.js';
import { defineLuaCommands } from '../backend/redis/lua-commands.js';
import { EmbeddedEventStore } from './embedded/embedded-store.js';
import type { EmbeddedSync } from '../backend/sqlite/open-database.js';
import type { BufferPolicy, EventStore } from './event-store.js';
import { RedisEventStore } from './redis/redis-store.js';
import type { Tagging } from './tags.js';

export interface CreatedStore {
  store: EventStore;
  backend: Backend;
  /** What the start-up log says about the store. */
  description: string;
}

/** The settings that decide the store (named as in the configuration, which the edges pass). */
export interface StoreSettings extends RedisConnectionConfig {
  BUFFER_CAPACITY: number;
  BUFFER_MAX_BYTES: number;
  BUFFER_OVERFLOW: BufferPolicy['overflow'];
  DEDUP_WINDOW: number;
  QUARANTINE_MAX_BYTES: number;
  KEY_PREFIX: string;
  PARTITIONS: number;
  REDIS_WAIT_REPLICAS: number;
  REDIS_WAIT_TIMEOUT: number;
  DATA_DIR: string;
  EMBEDDED_SYNC: EmbeddedSync;
}

const STORE_LUA = new URL('./redis/lua/', import.meta.url);

/** A PARTITIONS mismatch found at start-up stops the relay (exit 78, naming the variable). */
async function refuseOtherLayout(store: RedisEventStore, client: RedisClient): Promise<void> {
  try {
    await store.checkLayout();
  } catch (err) {
    if ((err as KcrError).code !== KCR_ERR_STORE_LAYOUT.code) return;
    client.disconnect();
    throw KCR_ERR_CONFIG(`- PARTITIONS: ${(err as Error).message}`);
  }
}

/** `tagging`: the tags every appended event gets (./tags.ts). */
export async function createStore(config: StoreSettings, log?: FastifyBaseLogger, tagging?: Tagging): Promise<CreatedStore> {
  const policy = {
    capacity: config.BUFFER_CAPACITY,
    maxBytes: config.BUFFER_MAX_BYTES,
    overflow: config.BUFFER_OVERFLOW,
    dedupWindowMs: config.DEDUP_WINDOW,
    quarantineMaxBytes: config.QUARANTINE_MAX_BYTES,
  };
  if (config.REDIS_URL || config.REDIS_CLUSTER_NODES) {
    const client = createRedisClient(config);
    defineLuaCommands(client, STORE_LUA);
    const store = new RedisEventStore(client, {
      policy,
      prefix: config.KEY_PREFIX,
      partitions: config.PARTITIONS,
      wait: config.REDIS_WAIT_REPLICAS > 0 ? { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT } : null,
      tagging,
      log,
    });
    // Unreachable Redis at start is not fatal: ingest answers 503 and /readyz fails until it is back
    // (and the layout is checked then, before the first write).
    const ready = await waitReady(client, 5_000);
    if (ready) await refuseOtherLayout(store, client);
    const where = config.REDIS_CLUSTER_NODES ? `Redis Cluster (${config.REDIS_CLUSTER_NODES.join(',')})` : 'Redis';
    return {
      store,
      backend: { kind: 'redis', connect: () => createRedisClient(config) },
      description: `${where}${ready ? '' : ', not reachable yet: ingest answers 503 until it is'}`,
    };
  }
  const store = EmbeddedEventStore.open(config.DATA_DIR, policy, config.EMBEDDED_SYNC, tagging);
  const durability =
    store.db.sync === 'full' ? 'every commit fsynced' : 'EMBEDDED_SYNC=normal: survives a crash of the relay, not of the machine';
  return {
    store,
    backend: { kind: 'embedded', db: store.db },
    description: `embedded (node:sqlite in ${store.dataDir}, ${durability}): serves ONE replica only; set REDIS_URL to run several`,
  };
}
