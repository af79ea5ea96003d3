// The real process: SIGTERM finishes in-flight requests before exiting; kill -9 of a delivering
// replica loses nothing (its pending events are taken over, or resumed by the replica itself).
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, NODE, SECRET, startRelay, uniquePrefix, type Relay } from '../support/relay.js';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { Sink, until } from '../support/sink.js';
import { request } from 'undici';

const redisUrl = inject('redisUrl');
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function track(child: ChildRelay): ChildRelay {
  cleanup.push(async () => {
    if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await child.exited;
  });
  return child;
}

it('on SIGTERM, an in-flight request is answered and stored, then the process exits 0', async () => {
  const child = track(await startChildRelay({ REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix() }));
  const uid = freshUid();
  const body = Buffer.from(loginEventJson(uid));
  const port = Number(new URL(child.url).port);
  const auth = Buffer.from(`${NODE}:${SECRET}`).toString('base64');

  // Send the head and half the body, signal, then the rest: the request is in flight during SIGTERM.
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  socket.write(
    `POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, 20));
  await new Promise((r) => setTimeout(r, 100));
  child.process.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 200));
  socket.write(body.subarray(20));
  await until(() => answer.includes('\r\n\r\n{'), 5_000, 'answer to the in-flight request');
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain(`"uid":"${uid}"`);
  expect(await child.exited).toBe(0);
  expect(child.output()).toContain('shutting down');
});

it('kill -9 of the delivering replica mid-batch: every accepted uid still reaches the sink', async () => {
  const sink = new Sink();
  sink.behave = () => ({ status: 200, delayMs: 150 });
  await sink.start();
  cleanup.push(() => sink.stop());
  const prefix = uniquePrefix();
  const destinations = JSON.stringify([{ name: 'sink', url: sink.url, concurrency: 2 }]);
  const env = { REDIS_URL: redisUrl, KEY_PREFIX: prefix, DESTINATIONS: destinations, FORWARD_CLAIM_IDLE: '1s' };

  const child = track(await startChildRelay(env));
  const uids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const uid = freshUid();
    expect((await postEvent(child.url, loginEventJson(uid))).json.status).toBe('accepted');
    uids.push(uid);
  }
  await until(() => sink.delivered.length >= 3, 10_000, 'some deliveries');
  child.process.kill('SIGKILL');
  await child.exited;
  const deliveredBeforeCrash = new Set(sink.delivered).size;
  expect(deliveredBeforeCrash).toBeLessThan(30);

  sink.behave = () => ({ status: 200 });
  const survivor: Relay = await startRelay({ ...env, ADMIN_TOKEN }, { consumer: 'survivor' });
  cleanup.push(() => survivor.close());
  await until(() => uids.every((u) => sink.delivered.includes(u)), 20_000, 'every uid delivered after the crash');
  await until(
    async () => /kcr_forward_pending\{destination="sink"\} 0/.test(await (await request(`${survivor.url}/metrics`)).body.text()),
    5_000,
    'nothing left pending',
  );
});

it.each([
  ['Redis', () => ({ REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix() })],
  ['embedded', () => ({ DATA_DIR: mkdtempSync(join(tmpdir(), 'kcr-resume-')) })],
] as const)(
  '%s: a replica restarted under its own name resumes its pending events at once, not after FORWARD_CLAIM_IDLE',
  async (_store, storeEnv) => {
    const sink = new Sink();
    sink.behave = () => ({ status: 200, delayMs: 300 });
    await sink.start();
    cleanup.push(() => sink.stop());
    const destinations = JSON.stringify([{ name: 'sink', url: sink.url, concurrency: 4 }]);
    // Nobody else would claim them for ten minutes: only the restarted replica's own resumption can deliver them.
    const env = { ...storeEnv(), DESTINATIONS: destinations, FORWARD_CLAIM_IDLE: '10m', RELAY_WORKER_ID: '7' };

    const first = track(await startChildRelay(env));
    const uids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const uid = freshUid();
      expect((await postEvent(first.url, loginEventJson(uid))).json.status).toBe('accepted');
      uids.push(uid);
    }
    await until(() => sink.received.length >= 4, 10_000, 'deliveries under way');
    first.process.kill('SIGKILL');
    await first.exited;
    expect(new Set(sink.delivered).size).toBeLessThan(20);

    sink.behave = () => ({ status: 200 });
    const again = track(await startChildRelay(env));
    await until(() => uids.every((u) => sink.delivered.includes(u)), 30_000, 'every uid delivered after the restart');
    const metrics = async () => (await request(`${again.url}/metrics`)).body.text();
    await until(async () => /kcr_forward_pending\{destination="sink"\} 0/.test(await metrics()), 5_000, 'nothing left pending');
  },
);
