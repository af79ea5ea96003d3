// Child processes of the benchmark (redis-server, relay, baseline, sink): every one is registered
// so that it is stopped at the end, on error and on Ctrl-C; none outlives the run.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set();

/** A free TCP port on loopback (the OS picks it; closed again before the child binds it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A free port p whose p + `offset` is free too (a Redis Cluster node's bus port). */
export async function freePortPair(offset) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 2_700);
    if ((await portIsFree(port)) && (await portIsFree(port + offset))) return port;
  }
  throw new Error(`no free port pair (p, p + ${offset})`);
}

/** Whether `port` can be bound on loopback right now. */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * Children get a minimal environment plus what the bench sets explicitly: a REDIS_URL,
 * DESTINATIONS or KEY_PREFIX exported in the caller's shell must not change what is measured.
 */
function baseEnv() {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TZ'];
  return Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
}

/**
 * Spawns `command args` and keeps the tail of its output (for error reports) without writing it
 * anywhere: a benchmark must not pay for a terminal.
 */
export function startChild(name, command, args, { env = {}, cwd } = {}) {
  const child = spawn(command, args, {
    cwd,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk.toString()).slice(-8_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const handle = {
    name,
    child,
    exited,
    get pid() {
      return child.pid;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    output: () => tail,
    /** SIGTERM (graceful: the relay finishes in-flight work), SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (handle.running) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
        if (killed && handle.running) child.kill('SIGKILL');
      }
      await exited;
      live.delete(handle);
    },
  };
  live.add(handle);
  return handle;
}

/** Polls `GET url` until it answers `status` (default 200); fails early if the child exits. */
export async function waitHttp(handle, url, { timeoutMs = 20_000, status = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!handle.running) {
      throw new Error(`${handle.name} exited before it was ready:\n${handle.output().trim()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${handle.name} not ready at ${url} within ${timeoutMs} ms:\n${handle.output().trim()}`);
}

/** A process's children (Linux /proc; none elsewhere): a relay's WORKERS processes are its supervisor's. */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** This process and every child still running, with their own children: the benchmark's own CPU use. */
export function livePids() {
  const children = [...live].filter((h) => h.running).map((h) => h.pid);
  return [process.pid, ...children, ...children.flatMap(childPids)];
}

/** Stops every child still running (but those whose pid is in `except`): at the end of a phase, on error, on signals. */
export async function stopAll(except = []) {
  await Promise.all([...live].filter((h) => !except.includes(h.pid)).map((h) => h.stop(10_000).catch(() => undefined)));
}

const exitCleanups = new Set();

/** Registers a synchronous clean-up (a temp dir to remove) run however the process exits. */
export function onExit(fn) {
  exitCleanups.add(fn);
  return () => exitCleanups.delete(fn);
}

/** Last resort when the process exits abruptly: no waiting possible, just SIGKILL and clean-ups. */
export function killAllSync() {
  for (const h of live) {
    if (h.running) h.child.kill('SIGKILL');
  }
  for (const fn of exitCleanups) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}
