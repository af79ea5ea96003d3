// Runs the built relay (dist/src/main.js) as a real child process, for signal and crash tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'undici';
import { ADMIN_TOKEN, SECRET } from './relay.js';
import { freePort } from './redis-server.js';
import { until } from './sink.js';

const MAIN = 'dist/src/main.js';

export interface ChildRelay {
  url: string;
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export async function startChildRelay(env: Record<string, string>): Promise<ChildRelay> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it first)`);
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, AUTH_SECRET: SECRET, ADMIN_TOKEN, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`relay exited with ${child.exitCode}:\n${output}`);
      return request(`${url}/healthz`).then(
        (r) => r.body.dump().then(() => r.statusCode === 200),
        () => false,
      );
    },
    15_000,
    'child relay up',
  );
  return { url, process: child, output: () => output, exited };
}

/** A child relay that `cleanup` kills (SIGKILL) if it still runs when the test ends. */
export async function startChildRelayCleanedUp(env: Record<string, string>, cleanup: Array<() => unknown>): Promise<ChildRelay> {
  const relay = await startChildRelay(env);
  cleanup.push(async () => {
    if (relay.process.exitCode === null) relay.process.kill('SIGKILL');
    await relay.exited;
  });
  return relay;
}

/** kill -9, and its exit. */
export async function killChildRelay(relay: ChildRelay): Promise<void> {
  relay.process.kill('SIGKILL');
  await relay.exited;
}
