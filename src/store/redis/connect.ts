// Builds the ioredis client from configuration: standalone (redis:// or rediss:// with user:password,
// as for ElastiCache TLS + ACL) or Redis Cluster. Settings favour failing fast: an ingest request
// must answer 503 within a bounded time rather than hold Keycloak's login thread while Redis is away.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../../config/env.js';
import { defineLuaCommands } from './scripts.js';

export type RedisClient = Redis | Cluster;

export function createRedisClient(config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES' | 'REDIS_COMMAND_TIMEOUT'>): RedisClient {
  const common: RedisOptions = {
    // Commands issued while disconnected fail at once (-> 503) instead of queueing behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.REDIS_COMMAND_TIMEOUT,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
  };
  let client: RedisClient;
  if (config.REDIS_CLUSTER_NODES) {
    const nodes = config.REDIS_CLUSTER_NODES.map((hp) => {
      const i = hp.lastIndexOf(':');
      return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
    });
    client = new Cluster(nodes, { enableOfflineQueue: false, redisOptions: common });
  } else if (config.REDIS_URL) {
    client = new Redis(config.REDIS_URL, common);
  } else {
    throw new Error('createRedisClient needs REDIS_URL or REDIS_CLUSTER_NODES');
  }
  defineLuaCommands(client);
  return client;
}

/** Waits until the client is ready, or the timeout passes; the relay starts either way. */
export async function waitReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}
