// A real Redis Cluster on loopback, for tests of the cluster mode: three primaries, and with
// `replicas` one replica each, so that a primary can be killed and its replica promoted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freeRedisPort, startTestRedis, type TestRedis } from './redis-server.js';

const run = promisify(execFile);

export interface TestClusterOptions {
  /** One replica per primary (six nodes) instead of none. */
  replicas?: boolean;
  /** Append-only file on, with this fsync policy (default: no persistence). */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** cluster-node-timeout: how long a primary may be silent before it is failed over (default 2000 ms with replicas, else Redis's own). */
  nodeTimeoutMs?: number;
}

export interface ClusterNode {
  id: string;
  port: number;
  /** host:port, as REDIS_CLUSTER_NODES takes it. */
  address: string;
  /** Slot ranges served, [first, last] inclusive; empty for a replica. */
  slots: Array<[number, number]>;
}

export interface Failover {
  dead: ClusterNode;
  promoted: ClusterNode;
  /** Epoch ms of the SIGKILL. */
  killedAt: number;
  /** From the SIGKILL to the whole cluster agreeing the replica serves the dead primary's slots. */
  ms: number;
}

export interface TestCluster {
  /** Every node started, host:port (seeds for REDIS_CLUSTER_NODES). */
  nodes: string[];
  /** The live primaries, ordered by their first slot (index 0 serves slot 0). */
  masters(): Promise<ClusterNode[]>;
  replicaOf(master: ClusterNode): Promise<ClusterNode | null>;
  /** The primary serving `key`'s slot (CLUSTER KEYSLOT), e.g. of `{p0}` for the relay's keys. */
  masterForKey(key: string): Promise<ClusterNode>;
  /**
   * SIGKILLs the primary masters()[index]; waitForFailover() then waits for its replica. With
   * `replicaLagMs`, the replica first stalls (SIGSTOP) and its link is dropped by the primary, which
   * goes on accepting writes that long before it dies: those never reach the replica (a replica
   * cut off, then the primary's crash: what WAIT guards against). The replica resumes after the kill.
   */
  killMaster(index: number, options?: { replicaLagMs?: number }): Promise<ClusterNode>;
  /** Until every live node says cluster_state:ok and that the killed primary's replica serves its slots. */
  waitForFailover(timeoutMs?: number): Promise<Failover>;
  /**
   * Starts the node killed last again (same port and data): it rejoins as a replica of the primary
   * that took over, as a replaced node does on a managed service; resolves once that primary has an
   * online replica again.
   */
  rejoinKilled(timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One command to one node, on a connection of its own that never retries (the node may be dead). */
async function nodeCall(port: number, ...args: string[]): Promise<string> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return String(await redis.call(args[0]!, ...args.slice(1)));
  } finally {
    redis.disconnect();
  }
}

interface NodeLine extends ClusterNode {
  flags: string[];
  masterId: string | null;
}

/** Parses CLUSTER NODES (`<id> <ip:port@cport[,host]> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`). */
function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((line) => {
      const [id, addr, flags, master, , , , , ...slotFields] = line.trim().split(' ');
      const port = Number(addr!.split('@')[0]!.split(':').pop());
      const slots = slotFields
        .filter((s) => !s.startsWith('['))
        .map((s): [number, number] => {
          const [a, b] = s.split('-').map(Number);
          return [a!, b ?? a!];
        });
      return { id: id!, port, address: `127.0.0.1:${port}`, slots, flags: flags!.split(','), masterId: master === '-' ? null : master! };
    });
}

const failing = (n: NodeLine): boolean => n.flags.includes('fail') || n.flags.includes('fail?');
const plain = ({ id, port, address, slots }: NodeLine): ClusterNode => ({ id, port, address, slots });

export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const servers: TestRedis[] = [];
  const replicas = options.replicas === true;
  const nodeTimeout = options.nodeTimeoutMs ?? (replicas ? 2_000 : undefined);
  const args = (i: number): string[] => [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `nodes-${i}.conf`,
    ...(nodeTimeout ? ['--cluster-node-timeout', String(nodeTimeout)] : []),
    // A replica takes over however long ago it last heard its primary, and syncs without waiting.
    ...(replicas ? ['--cluster-replica-validity-factor', '0', '--repl-diskless-sync-delay', '0'] : []),
    ...(options.appendfsync ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync] : []),
  ];
  const dispose = async (): Promise<void> => void (await Promise.all(servers.map((s) => s.dispose())));
  try {
    for (let i = 0; i < (replicas ? 6 : 3); i++) {
      servers.push(await startTestRedis({ port: await freeRedisPort(), extraArgs: args(i) }));
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', replicas ? '1' : '0', '--cluster-yes']);
    const live = new Set(servers);
    let pending: { dead: NodeLine; replica: NodeLine; killedAt: number } | null = null;
    let lastKilled: { server: TestRedis; promotedPort: number } | null = null;

    const view = async (): Promise<NodeLine[]> => {
      for (const s of live) {
        const text = await nodeCall(s.port, 'CLUSTER', 'NODES').catch(() => null);
        if (text !== null) return parseNodes(text);
      }
      throw new Error('no cluster node answers');
    };
    const mastersNow = async (): Promise<NodeLine[]> =>
      (await view())
        .filter((n) => n.flags.includes('master') && !failing(n) && n.slots.length > 0)
        .sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
    const replicaNow = async (master: ClusterNode): Promise<NodeLine | null> =>
      (await view()).find((n) => n.masterId === master.id && !failing(n)) ?? null;
    /** Every live node agrees: state ok, and `check` holds of its CLUSTER NODES. */
    const untilAgreed = async (timeoutMs: number, what: string, check: (nodes: NodeLine[]) => boolean): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        let agreed = true;
        for (const s of live) {
          const info = await nodeCall(s.port, 'CLUSTER', 'INFO').catch(() => '');
          const nodesText = await nodeCall(s.port, 'CLUSTER', 'NODES').catch(() => '');
          if (!info.includes('cluster_state:ok') || !check(parseNodes(nodesText))) agreed = false;
          if (!agreed) break;
        }
        if (agreed) return;
        if (Date.now() > deadline) throw new Error(`cluster: ${what} not reached within ${timeoutMs} ms`);
        await sleep(100);
      }
    };

    // Ready: three primaries with all slots, and with replicas, each replica linked and in sync.
    await untilAgreed(20_000, 'initial state', (ns) => {
      const masters = ns.filter((n) => n.flags.includes('master') && n.slots.length > 0);
      return masters.length === 3 && (!replicas || masters.every((m) => ns.some((n) => n.masterId === m.id)));
    });
    if (replicas) {
      const deadline = Date.now() + 20_000;
      for (const s of servers) {
        for (;;) {
          const info = await nodeCall(s.port, 'INFO', 'replication');
          if (info.includes('role:master') || info.includes('master_link_status:up')) break;
          if (Date.now() > deadline) throw new Error(`replica ${s.port} not in sync: ${info}`);
          await sleep(100);
        }
      }
    }

    return {
      nodes,
      masters: async () => (await mastersNow()).map(plain),
      replicaOf: async (master) => {
        const r = await replicaNow(master);
        return r ? plain(r) : null;
      },
      masterForKey: async (key) => {
        const live0 = [...live][0]!;
        const slot = Number(await nodeCall(live0.port, 'CLUSTER', 'KEYSLOT', key));
        const m = (await mastersNow()).find((n) => n.slots.some(([a, b]) => a <= slot && slot <= b));
        if (!m) throw new Error(`no primary serves slot ${slot}`);
        return plain(m);
      },
      killMaster: async (index, options) => {
        if (pending) throw new Error('one failover at a time: waitForFailover() first');
        const dead = (await mastersNow())[index];
        if (!dead) throw new Error(`no primary at index ${index}`);
        const replica = await replicaNow(dead);
        if (!replica) throw new Error(`primary ${dead.address} has no replica to take over`);
        const server = servers.find((s) => s.port === dead.port)!;
        const lagging = servers.find((s) => s.port === replica.port)!;
        const lagMs = options?.replicaLagMs ?? 0;
        if (lagMs > 0) {
          lagging.freeze();
          await nodeCall(dead.port, 'CLIENT', 'KILL', 'TYPE', 'replica');
          await sleep(lagMs);
        }
        live.delete(server);
        const killedAt = Date.now();
        await server.kill();
        lagging.thaw();
        pending = { dead, replica, killedAt };
        lastKilled = { server, promotedPort: replica.port };
        return plain(dead);
      },
      waitForFailover: async (timeoutMs = 30_000) => {
        if (!pending) throw new Error('no primary was killed');
        const { dead, replica, killedAt } = pending;
        const first = dead.slots[0]![0];
        await untilAgreed(timeoutMs, `failover of ${dead.address} to ${replica.address}`, (ns) =>
          ns.some((n) => n.id === replica.id && n.flags.includes('master') && n.slots.some(([a, b]) => a <= first && first <= b)),
        );
        pending = null;
        const promoted = (await view()).find((n) => n.id === replica.id)!;
        return { dead: plain(dead), promoted: plain(promoted), killedAt, ms: Date.now() - killedAt };
      },
      rejoinKilled: async (timeoutMs = 30_000) => {
        if (!lastKilled) throw new Error('no primary was killed');
        const { server, promotedPort } = lastKilled;
        lastKilled = null;
        await server.start();
        live.add(server);
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const info = await nodeCall(promotedPort, 'INFO', 'replication').catch(() => '');
          if (/slave\d+:[^\n]*state=online/.test(info)) return;
          if (Date.now() > deadline)
            throw new Error(`the killed node did not rejoin as a replica of ${promotedPort} within ${timeoutMs} ms`);
          await sleep(100);
        }
      },
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
