// The embedded store in a real relay process (dist/src/main.js): a 200 survives `kill -9` under
// either EMBEDDED_SYNC (a crash of the relay, not of the machine, is what a test can cause), and a
// second process on the same DATA_DIR refuses to start instead of writing beside the first.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool, request, type Dispatcher } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, SECRET } from '../support/relay.js';
import { until } from '../support/sink.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kcr-embedded-process-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data');
}

async function start(env: Record<string, string>): Promise<ChildRelay> {
  const child = await startChildRelay(env);
  cleanup.push(async () => {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exited;
  });
  return child;
}

async function adminStatus(url: string, uid: string, dispatcher?: Dispatcher): Promise<number> {
  const res = await request(`${url}/admin/events/${uid}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    ...(dispatcher && { dispatcher }),
  });
  await res.body.dump();
  return res.statusCode;
}

it.each([
  { sync: 'full', says: 'every commit fsynced' },
  { sync: 'normal', says: 'EMBEDDED_SYNC=normal: survives a crash of the relay, not of the machine' },
])(
  'kill -9 during a load of unique events, EMBEDDED_SYNC=$sync: every uid answered 200 is there after a restart',
  async ({ sync, says }) => {
    const env = { DATA_DIR: dataDir(), EMBEDDED_SYNC: sync };
    const first = await start(env);
    await until(() => first.output().includes(says), 5_000, `the start-up line says "${says}"`);
    const acknowledged: string[] = [];
    let crashed = false;
    // Eight concurrent emitters, so that requests are in flight when the process dies.
    const emitter = async (): Promise<void> => {
      while (!crashed) {
        const uid = freshUid();
        try {
          const res = await postEvent(first.url, loginEventJson(uid));
          if (res.status === 200 && res.json.status === 'accepted') acknowledged.push(uid);
        } catch {
          return;
        }
      }
    };
    const emitters = Array.from({ length: 8 }, emitter);
    await until(() => acknowledged.length >= 300, 30_000, '300 events acknowledged');
    first.process.kill('SIGKILL');
    crashed = true;
    await Promise.all(emitters);
    await first.exited;

    // The lock died with the process: the restart is not refused.
    const second = await start(env);
    expect(second.output()).toContain('store: embedded');
    const missing: string[] = [];
    // Eight sockets, well under MAX_CONNECTIONS_PER_ADDRESS (64): the relay closes connections
    // beyond it, and a pool with no limit opens one per request in flight.
    const admin = new Pool(second.url, { connections: 8 });
    cleanup.push(() => admin.close());
    try {
      for (let i = 0; i < acknowledged.length; i += 50) {
        const batch = acknowledged.slice(i, i + 50);
        const statuses = await Promise.all(batch.map((uid) => adminStatus(second.url, uid, admin)));
        batch.forEach((uid, j) => statuses[j] !== 200 && missing.push(uid));
      }
    } catch (err) {
      // A connection the restarted relay dropped: what it logged says why.
      throw new Error(`${(err as Error).message}; the restarted relay logged:\n${second.output()}`, { cause: err });
    }
    expect(missing).toEqual([]);
    expect((await postEvent(second.url, loginEventJson(acknowledged[0]!))).json.status).toBe('duplicate');
  },
  60_000,
);

it('refuses an EMBEDDED_SYNC other than full or normal, naming it (exit 78)', async () => {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH, AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir(), EMBEDDED_SYNC: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  expect(await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)))).toBe(78);
  expect(stderr).toContain('EMBEDDED_SYNC');
});

it('a second process on the same DATA_DIR refuses to start, naming DATA_DIR; the first keeps working', async () => {
  const env = { DATA_DIR: dataDir() };
  const first = await start(env);

  const second = spawn(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH, AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close' (not 'exit'): every byte of stderr has been read.
  const code = await new Promise<number | null>((resolve) => second.once('close', (c) => resolve(c)));
  expect(code).toBe(78);
  expect(stderr).toContain(`DATA_DIR: ${env.DATA_DIR} is in use by another kc-event-relay process (pid ${first.process.pid}`);

  const uid = freshUid();
  expect((await postEvent(first.url, loginEventJson(uid))).json).toEqual({ status: 'accepted', uid });

  // A clean stop releases DATA_DIR for the next process, with the data.
  first.process.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  const third = await start(env);
  expect(await adminStatus(third.url, uid)).toBe(200);
}, 60_000);
