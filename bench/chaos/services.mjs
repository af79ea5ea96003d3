// The processes the chaos harness breaks: a persistent redis-server and relay replicas, each on a
// port that stays the same across kill -9 and restart. Built on bench/lib/procs.mjs, so every child
// is stopped at the end, on failure and on Ctrl-C; each one's output goes to a log file of the run.
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { childPids, onExit, portIsFree, startChild, waitHttp } from '../lib/procs.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN_JS = join(ROOT, 'dist/src/main.js');
// Children run on the project's own Node 24 even when this script was started with another node.
export const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

/**
 * A port below Linux's ephemeral range (32768+): a service restarted on it cannot find it taken by
 * the source port of some outgoing connection made while it was down.
 */
export async function stablePort() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 23_000 + Math.floor(Math.random() * 9_000);
    if (await portIsFree(port)) return port;
  }
  throw new Error('no free port below 32000');
}

function logTo(handle, file) {
  const out = createWriteStream(file, { flags: 'a' });
  handle.child.stdout.pipe(out, { end: false });
  handle.child.stderr.pipe(out, { end: false });
}

const allRedis = new Set();

/** A paused (SIGSTOP) server ignores SIGTERM: on Ctrl-C, every one is resumed before being stopped. */
export function resumeAllRedis() {
  for (const r of allRedis) r.resume();
}

/** A redis-server with AOF on (`appendfsync` as given), in its own directory, restartable in place. */
export class PersistentRedis {
  constructor({ dir, fsync }) {
    this.dir = dir;
    this.fsync = fsync;
    this.handle = null;
    this.paused = false;
    allRedis.add(this);
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start() {
    this.port ??= await stablePort();
    mkdirSync(this.dir, { recursive: true });
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      this.fsync,
      '--dir',
      this.dir,
    ];
    this.handle = startChild(`redis-server (${this.fsync})`, 'redis-server', args);
    logTo(this.handle, join(this.dir, '..', 'redis.log'));
    await this.#waitPing();
  }

  async #waitPing() {
    const client = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const deadline = Date.now() + 30_000;
    try {
      for (;;) {
        try {
          if (client.status !== 'ready') await client.connect();
          // LOADING while the AOF is replayed after a crash: not ready yet.
          if ((await client.ping()) === 'PONG') return;
        } catch (err) {
          if (!this.handle.running || Date.now() > deadline)
            throw new Error(`redis-server not ready: ${err.message}\n${this.handle.output()}`);
          client.disconnect();
          await sleep(50);
        }
      }
    } finally {
      client.disconnect();
    }
  }

  async kill9() {
    this.resume();
    this.handle.child.kill('SIGKILL');
    await this.handle.stop(0);
  }

  pause() {
    this.handle.child.kill('SIGSTOP');
    this.paused = true;
  }

  resume() {
    if (this.paused && this.handle?.running) this.handle.child.kill('SIGCONT');
    this.paused = false;
  }

  async stop() {
    this.resume();
    if (this.handle) await this.handle.stop(5_000);
  }
}

/** One relay process (dist/src/main.js) on a fixed port; the same environment on every restart. */
export class RelayReplica {
  constructor({ name, env, logFile }) {
    this.name = name;
    this.env = env;
    this.logFile = logFile;
    this.handle = null;
    /** Exits nobody asked for: a crash. */
    this.crashes = [];
    this.expectingExit = false;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get up() {
    return this.handle?.running === true;
  }

  async start() {
    this.port ??= await stablePort();
    this.expectingExit = false;
    const handle = startChild(this.name, NODE, [MAIN_JS], { env: { ...this.env, HOST: '127.0.0.1', PORT: String(this.port) } });
    this.handle = handle;
    logTo(handle, this.logFile);
    handle.exited.then(({ code, signal }) => {
      if (!this.expectingExit) this.crashes.push({ code, signal, tail: handle.output().slice(-2_000) });
    });
    await waitHttp(handle, `${this.url}/healthz`, { timeoutMs: 30_000 });
  }

  /** kill -9 of one of its relay processes (WORKERS: the `index`-th child of the supervisor, wrapping): the pid, or null if none runs. */
  kill9Worker(index) {
    const pids = this.handle?.running ? childPids(this.handle.pid) : [];
    if (pids.length === 0) return null;
    const pid = pids[index % pids.length];
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  async kill9() {
    this.expectingExit = true;
    this.handle.child.kill('SIGKILL');
    await this.handle.stop(0);
  }

  /** Graceful stop (SIGTERM), as at the end of a run. */
  async stop() {
    this.expectingExit = true;
    if (this.handle) await this.handle.stop(15_000);
  }
}

/** A temp directory removed however the run ends. */
export function scratchDir(dir) {
  mkdirSync(dir, { recursive: true });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onExit(remove);
  return remove;
}
