// Builds an ioredis client from configuration: standalone (redis:// or rediss:// with user:password,
// as for ElastiCache TLS + ACL) or Redis Cluster. Settings favour failing fast: an ingest request
// must answer 503 within a bounded time rather than hold Keycloak's login thread while Redis is away.
import { readFileSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { LineBudget } from '../../log.js';

export type RedisClient = Redis | Cluster;

/** The settings that say how to reach Redis (named as in the configuration, which the edges pass). */
export interface RedisConnectionConfig {
  REDIS_URL?: string | undefined;
  /** host:port seeds of a Redis Cluster. */
  REDIS_CLUSTER_NODES?: readonly string[] | undefined;
  REDIS_CLUSTER_TLS: boolean;
  REDIS_COMMAND_TIMEOUT: number;
  REDIS_TLS_CA_FILE?: string | undefined;
}

export function createRedisClient(config: RedisConnectionConfig): RedisClient {
  const ca = config.REDIS_TLS_CA_FILE ? readFileSync(config.REDIS_TLS_CA_FILE) : undefined;
  const common: RedisOptions = {
    ...(ca ? { tls: { ca } } : {}),
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
    const tls = config.REDIS_CLUSTER_TLS;
    client = new Cluster(nodes, {
      enableOfflineQueue: false,
      // Fail fast while a node is known lost (its connection closed, or the cluster down): ioredis
      // would otherwise park each command and retry it every 100 ms, up to 16 times, holding the
      // request for the whole REDIS_COMMAND_TIMEOUT during a failover. It fails at once (503 with
      // Retry-After) instead, and the slot map is read every second, which finds the promoted
      // replica those retries used to find.
      retryDelayOnFailover: 0,
      retryDelayOnClusterDown: 0,
      slotsRefreshInterval: 1_000,
      redisOptions: tls ? { ...common, tls: { ...(ca ? { ca } : {}) } } : common,
      // TLS cluster endpoints (ElastiCache) must be addressed by the host names their certificates name.
      ...(tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    });
  } else if (config.REDIS_URL) {
    client = new Redis(config.REDIS_URL, common);
  } else {
    throw new Error('createRedisClient needs REDIS_URL or REDIS_CLUSTER_NODES');
  }
  return client;
}

/**
 * Waits until the client is ready, or the timeout passes; the relay starts either way. A Cluster's
 * connections to its primaries open lazily, and a command that reaches one still connecting fails at
 * once (enableOfflineQueue off, no failover retry): so they are opened and awaited here too, before
 * the first request can need one.
 */
export async function waitReady(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (!(await readyWithin(client, timeoutMs))) return false;
  if (!(client instanceof Cluster)) return true;
  const primaries = client.nodes('master');
  for (const node of primaries) if (node.status === 'wait') node.connect().catch(() => undefined);
  const ready = await Promise.all(primaries.map((node) => readyWithin(node, timeoutMs)));
  return ready.every(Boolean);
}

function readyWithin(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
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

/**
 * Logs connection errors (at most one line per interval, since a down Redis errors on every
 * reconnect attempt) instead of ioredis's "Unhandled error event" on stderr.
 */
export function logConnectionErrors(client: RedisClient, log: FastifyBaseLogger, intervalMs = 10_000): void {
  const lines = new LineBudget(intervalMs);
  client.on('error', (err: Error) => {
    const errors = lines.add();
    if (errors !== null) log.warn({ err: err.message, suppressed: errors - 1 }, 'Redis connection error');
  });
}
