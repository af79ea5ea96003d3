// Replay jobs outlive the replica running them (issue 18, item 10): the job lives in the store, so
// any replica answers GET /admin/jobs/{id}, and once its relay is killed with SIGKILL mid-replay the
// job is resumed from its last checkpoint: on the embedded store by the relay restarted on the same
// DATA_DIR, on Redis by another relay. Every event of the range is delivered again, and no more
// than one page (100) twice: resumed, not started over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, expect, inject, it } from 'vitest';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, uniquePrefix } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const EVENTS = 300;
/** The job's checkpoint interval (src/forward/replay.ts): what a takeover may deliver twice. */
const PAGE = 100;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function admin(relay: ChildRelay, method: 'GET' | 'POST', path: string, body?: object): Promise<Record<string, any>> {
  const res = await request(`${relay.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.body.json()) as Record<string, any>;
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

async function child(env: Record<string, string>): Promise<ChildRelay> {
  const relay = await startChildRelay(env);
  cleanup.push(async () => {
    if (relay.process.exitCode === null) relay.process.kill('SIGKILL');
    await relay.exited;
  });
  return relay;
}

async function kill(relay: ChildRelay): Promise<void> {
  relay.process.kill('SIGKILL');
  await relay.exited;
}

/** A sink, and relay settings forwarding to it one delivery at a time; the job lease is 3 s. */
async function destination(): Promise<{ sink: Sink; env: Record<string, string> }> {
  const sink = new Sink();
  await sink.start();
  cleanup.push(() => sink.stop());
  const env = { DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url, concurrency: 1 }]), FORWARD_CLAIM_IDLE: '3s' };
  return { sink, env };
}

/** Posts EVENTS events and waits until the forwarder delivered each once; then every delivery takes 10 ms. */
async function forwarded(relay: ChildRelay, sink: Sink): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const uid = freshUid();
    expect((await postEvent(relay.url, loginEventJson(uid))).status).toBe(200);
    uids.push(uid);
  }
  await until(() => new Set(sink.delivered).size === EVENTS, 20_000, 'every event forwarded');
  sink.behave = () => ({ status: 200, delayMs: 10 });
  return uids;
}

/** Starts a replay of everything and waits until half of it was delivered (past the first checkpoint). */
async function replayHalfway(relay: ChildRelay, sink: Sink): Promise<{ id: string; replica: string; before: number }> {
  const before = sink.delivered.length;
  const job = await admin(relay, 'POST', '/admin/replay', { destination: 'audit' });
  expect(job).toMatchObject({ state: 'running', total: EVENTS, resumed: 0 });
  await until(() => sink.delivered.length - before >= EVENTS / 2, 20_000, 'half the replay delivered');
  return { id: job.id, replica: job.replica, before };
}

function expectResumed(sink: Sink, before: number, uids: string[]): void {
  const replayed = sink.delivered.slice(before);
  expect(new Set(replayed)).toEqual(new Set(uids));
  expect(replayed.length).toBeLessThanOrEqual(EVENTS + PAGE);
}

it('embedded: a replay job killed with its relay is resumed from its checkpoint by the relay restarted on the same DATA_DIR', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kcr-jobs-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const { sink, env } = await destination();
  const first = await child({ ...env, DATA_DIR: dataDir });
  const uids = await forwarded(first, sink);
  const { id, before } = await replayHalfway(first, sink);
  await kill(first);

  const again = await child({ ...env, DATA_DIR: dataDir });
  await until(async () => (await admin(again, 'GET', `/admin/jobs/${id}`)).state === 'done', 30_000, 'job done after the restart');
  expect(await admin(again, 'GET', `/admin/jobs/${id}`)).toMatchObject({ state: 'done', resumed: 1, scanned: EVENTS, matched: EVENTS });
  expectResumed(sink, before, uids);
  expect(again.output()).toContain('taking over a replay or redrive job from its last checkpoint');
}, 90_000);

it('redis: a replay job killed with its relay is taken over from its checkpoint by another relay, and either answers for it', async () => {
  const { sink, env } = await destination();
  const shared = { ...env, REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() };
  const a = await child({ ...shared, RELAY_WORKER_ID: '1' });
  const b = await child({ ...shared, RELAY_WORKER_ID: '2' });
  const uids = await forwarded(a, sink);
  const { id, replica, before } = await replayHalfway(a, sink);
  // The other relay sees the job's progress: it lives in Redis, not in a's memory.
  await until(async () => (await admin(b, 'GET', `/admin/jobs/${id}`)).delivered > 0, 5_000, 'progress seen from b');
  expect(await admin(b, 'GET', `/admin/jobs/${id}`)).toMatchObject({ state: 'running', replica });
  await kill(a);

  // Taken over once a's lease (FORWARD_CLAIM_IDLE, 3 s) has lapsed.
  await until(async () => (await admin(b, 'GET', `/admin/jobs/${id}`)).state === 'done', 30_000, 'job done by b');
  const done = await admin(b, 'GET', `/admin/jobs/${id}`);
  expect(done).toMatchObject({ state: 'done', resumed: 1, scanned: EVENTS, matched: EVENTS });
  expect(done.replica).not.toBe(replica);
  expectResumed(sink, before, uids);
  expect(b.output()).toContain('taking over a replay or redrive job from its last checkpoint');
}, 90_000);
