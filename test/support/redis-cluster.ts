// A real three-primary Redis Cluster on loopback, for tests of the cluster mode.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freeRedisPort, startTestRedis, type TestRedis } from './redis-server.js';

const run = promisify(execFile);

export interface TestCluster {
  nodes: string[];
  dispose(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const servers: TestRedis[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freeRedisPort();
      servers.push(await startTestRedis({ port, extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${i}.conf`] }));
    }
    const nodes = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const s of servers) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${s.port} not ok: ${stdout}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { nodes, dispose: async () => void (await Promise.all(servers.map((s) => s.dispose()))) };
  } catch (err) {
    await Promise.all(servers.map((s) => s.dispose()));
    throw err;
  }
}
