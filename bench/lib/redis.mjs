// Private redis-servers for the run, each on its own free port and temp dir, so nothing on the
// machine is touched and nothing is left: the default one without persistence (RDB and AOF off),
// others with `appendfsync always`, a primary with one replica, and a three-primary Cluster.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort, freePortPair, onExit, startChild } from './procs.mjs';

export function redisVersion() {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (out.error) throw new Error('redis-server not found on PATH (Debian: apt-get install redis-server)');
  return /v=(\S+)/.exec(out.stdout)?.[1] ?? 'unknown';
}

/** No persistence: what the ingest and drain figures are taken against unless a row says otherwise. */
export const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no'];
/** Every write fsynced before Redis answers: the like of the embedded store's default. */
export const APPENDFSYNC_ALWAYS = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];

/** One redis-server; `args` (after port, bind and dir) say how it persists or what it replicates. */
export async function startRedis({ name = 'redis-server', args = NO_PERSISTENCE, port } = {}) {
  port ??= await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kcr-bench-redis-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onExit(removeDir);
  const proc = startChild(name, 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args]);
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => {}); // reported by the commands that fail
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (err) {
      if (!proc.running || Date.now() > deadline) {
        client.disconnect();
        await proc.stop();
        removeDir();
        throw new Error(`${name} did not start: ${err.message}\n${proc.output()}`);
      }
      client.disconnect();
      await sleep(50);
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    client,
    pid: proc.pid,
    async stop() {
      client.disconnect();
      await proc.stop(5_000);
      removeDir();
    },
  };
}

async function until(what, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** A primary and one replica of it, linked (the replica has caught up) before it returns. */
export async function startReplicated() {
  const primary = await startRedis({ name: 'redis primary', args: NO_PERSISTENCE });
  let replica;
  try {
    replica = await startRedis({ name: 'redis replica', args: [...NO_PERSISTENCE, '--replicaof', '127.0.0.1', String(primary.port)] });
    await until('the replica did not link to its primary', async () =>
      (await replica.client.info('replication')).includes('master_link_status:up'),
    );
  } catch (err) {
    await replica?.stop();
    await primary.stop();
    throw err;
  }
  return {
    primary,
    replica,
    pids: [primary.pid, replica.pid],
    stop: () => Promise.all([replica.stop(), primary.stop()]),
  };
}

/** Three primaries, no replicas, slots spread by redis-cli; `nodes` as REDIS_CLUSTER_NODES wants them. */
export async function startCluster() {
  const servers = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePortPair(10_000); // the cluster bus listens on port + 10000
      servers.push(
        await startRedis({
          name: `redis cluster node ${i + 1}`,
          port,
          args: [...NO_PERSISTENCE, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
        }),
      );
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`);
    for (const s of servers) {
      await until(`cluster node ${s.port} not ok`, async () => (await s.client.cluster('INFO')).includes('cluster_state:ok'));
    }
    return {
      nodes,
      servers,
      pids: servers.map((s) => s.pid),
      stop: () => Promise.all(servers.map((s) => s.stop())),
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
}
