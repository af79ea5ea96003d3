// Starts a private, throw-away redis-server for tests: its own free port, its own temp dir, no
// persistence unless asked. Tests never use a Redis they did not start.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, then waits for exit). */
  stop(): Promise<void>;
  /** SIGSTOP: alive but silent, as a stalled host (its kernel still buffers what it is sent). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Kills it with SIGKILL (a crash: no shutdown save, no goodbye to clients), waits for exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  /** Stops it for good and removes its data dir. */
  dispose(): Promise<void>;
  /** Sends a signal to the server (SIGSTOP/SIGCONT: a Redis that hangs without closing its connections). */
  signal(signal: NodeJS.Signals): void;
}

export function redisServerBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    throw new Error('redis-server not found: install Debian package redis-server (.ci/run does this)');
  }
  return found;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port for a test redis-server, below Linux's ephemeral range (32768+), where no outgoing
 * connection can grab it between this check and redis-server's bind; port + 10000 is free too, for
 * a Redis Cluster node's bus.
 */
export async function freeRedisPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 2_700);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair (p, p + 10000) for a test redis-server');
}

async function waitForPort(port: number, up: boolean, exited: () => string | null, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const early = up ? exited() : null;
    if (early !== null) throw new Error(`redis-server on port ${port} exited at start:\n${early}`);
    const open = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (open === up) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis on port ${port} did not ${up ? 'start' : 'stop'} within ${timeoutMs} ms`);
}

export async function startTestRedis(options: { extraArgs?: string[]; port?: number } = {}): Promise<TestRedis> {
  const binary = redisServerBinary();
  const port = options.port ?? (await freeRedisPort());
  const dir = mkdtempSync(join(tmpdir(), 'kcr-redis-'));
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    const c = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.extraArgs ?? [])],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // Its own words, for the error when it dies at start (a port taken, a bad argument).
    let output = '';
    c.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-2_000)));
    c.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-2_000)));
    child = c;
    await waitForPort(port, true, () => (c.exitCode !== null ? output : null));
  };
  const terminate = async (name: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // A frozen process would hold SIGTERM until continued.
    c.kill('SIGCONT');
    c.kill(name);
    await exited;
    child = null;
  };
  const stop = (): Promise<void> => terminate('SIGTERM');

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    signal: (name) => {
      const c = child;
      if (!c || c.exitCode !== null) throw new Error(`redis-server on port ${port} is not running`);
      c.kill(name);
    },
    kill: () => terminate('SIGKILL'),
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * redis-server arguments for the relay's ACL user as docs/key-layout.md documents it (confined to
 * the key prefix and its channels), with the default user disabled as on ElastiCache with RBAC.
 */
export function relayAclArgs(prefix: string, password: string): string[] {
  return [
    '--user',
    'default',
    'off',
    '--user',
    'relay',
    'on',
    `>${password}`,
    `~${prefix}*`,
    `&${prefix}*`,
    '+@read',
    '+@write',
    '+@stream',
    '+@scripting',
    '+@pubsub',
    '+@connection',
    '+info',
  ];
}
