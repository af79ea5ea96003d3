// A private redis-server for the run: its own free port and temp dir, no persistence (RDB and AOF
// off, as the brief's command line), so nothing on the machine is touched and nothing is left.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort, onExit, startChild } from './procs.mjs';

export function redisVersion() {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (out.error) throw new Error('redis-server not found on PATH (Debian: apt-get install redis-server)');
  return /v=(\S+)/.exec(out.stdout)?.[1] ?? 'unknown';
}

export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kcr-bench-redis-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  onExit(removeDir);
  const proc = startChild('redis-server', 'redis-server', [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--dir', dir,
  ]);
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
        throw new Error(`redis-server did not start: ${err.message}\n${proc.output()}`);
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
