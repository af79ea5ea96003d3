// The operator CLI against a running relay: a replay with progress, then a redrive.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const run = promisify(execFile);
let sink: Sink;
let relay: Relay;

beforeAll(async () => {
  sink = new Sink();
  await sink.start();
  relay = await startRelay({
    REDIS_URL: inject('redisUrl'),
    DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url, maxAttempts: 1 }]),
  });
});
afterAll(async () => {
  await relay.close();
  await sink.stop();
});

const cli = (...args: string[]) =>
  run(process.execPath, ['dist/src/cli.js', ...args, '--url', relay.url], { env: { PATH: process.env.PATH, ADMIN_TOKEN } });

it('replays a range with progress and exits 0 when done', async () => {
  const uids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const uid = freshUid();
    await postEvent(relay.url, loginEventJson(uid));
    uids.push(uid);
  }
  await until(() => sink.delivered.length >= 5, 5_000, 'first delivery');
  const { stdout, stderr } = await cli('replay', '--destination', 'audit', '--from', uids[1]!, '--to', uids[2]!);
  expect(JSON.parse(stdout)).toMatchObject({ kind: 'replay', state: 'done', matched: 2, delivered: 2 });
  expect(stderr).toMatch(/\[#+\.*\] \d+\/\d+ scanned, 2 matched, 2 delivered/);
});

it('redrives dead letters, and fails clearly on a wrong destination or token', async () => {
  sink.behave = () => ({ status: 500 });
  const uid = freshUid();
  await postEvent(relay.url, loginEventJson(uid));
  await until(async () => (await relay.store.groupState('audit')).deadLetters === 1, 5_000, 'dead letter');
  const listed = JSON.parse((await cli('dead-letters', '--destination', 'audit')).stdout);
  expect(listed[0].event.uid).toBe(uid);

  sink.behave = () => ({ status: 200 });
  const { stdout } = await cli('redrive', '--destination', 'audit');
  expect(JSON.parse(stdout)).toMatchObject({ kind: 'redrive', state: 'done', delivered: 1 });
  expect((await relay.store.groupState('audit')).deadLetters).toBe(0);

  await expect(cli('redrive', '--destination', 'nope')).rejects.toMatchObject({
    stderr: expect.stringContaining('KCR_ERR_DESTINATION_UNKNOWN'),
  });
  await expect(cli('destinations', '--token', 'wrong-token-wrong-token')).rejects.toMatchObject({
    stderr: expect.stringContaining('KCR_ERR_ADMIN_AUTH'),
  });
});
