// How far the replicas of the relay's Redis primaries lag (INFO replication), for /readyz and
// /metrics: with REDIS_WAIT_REPLICAS the ingest waits for them, without it an answered write is lost
// when a primary dies before a replica copied it.
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../backend/redis/connect.js';

export interface Replication {
  /** Primaries looked at: one for a standalone Redis, every master of a Cluster. */
  primaries: number;
  /** The fewest online replicas any primary has. */
  minReplicas: number;
  /** The most bytes of a primary's replication stream any replica has yet to copy. */
  maxLagBytes: number;
  /** The longest time since a replica's last acknowledgement, seconds (Redis rounds it to whole seconds). */
  maxLagSeconds: number;
}

interface PrimaryInfo {
  replicas: number;
  lagBytes: number;
  lagSeconds: number;
}

/** Reads one primary's `INFO replication` text. */
export function parseReplicationInfo(info: string): PrimaryInfo {
  const fields = new Map(
    info
      .split(/\r?\n/)
      .map((line) => line.split(':'))
      .filter((pair): pair is [string, string] => pair.length === 2),
  );
  const offset = Number(fields.get('master_repl_offset') ?? 0);
  let replicas = 0;
  let lagBytes = 0;
  let lagSeconds = 0;
  for (const [name, value] of fields) {
    if (!/^slave\d+$/.test(name)) continue;
    const replica = new Map(value.split(',').map((kv) => kv.split('=') as [string, string]));
    if (replica.get('state') !== 'online') continue;
    replicas += 1;
    lagBytes = Math.max(lagBytes, offset - Number(replica.get('offset') ?? offset));
    lagSeconds = Math.max(lagSeconds, Number(replica.get('lag') ?? 0));
  }
  return { replicas, lagBytes, lagSeconds };
}

export async function readReplication(client: RedisClient): Promise<Replication> {
  const primaries: Redis[] = 'nodes' in client ? client.nodes('master') : [client];
  const infos = await Promise.all(primaries.map(async (node) => parseReplicationInfo(await node.info('replication'))));
  return {
    primaries: infos.length,
    minReplicas: Math.min(...infos.map((i) => i.replicas)),
    maxLagBytes: Math.max(0, ...infos.map((i) => i.lagBytes)),
    maxLagSeconds: Math.max(0, ...infos.map((i) => i.lagSeconds)),
  };
}
