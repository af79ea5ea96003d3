// The same relay on a real Redis Cluster: every Lua step touches one hash slot (its partition's
// {pN}), so ingest, dedup, lookup and forwarding work unchanged, and PARTITIONS spread them.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { request } from 'undici';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

let cluster: TestCluster;
let relay: Relay;
let sink: Sink;
beforeAll(async () => {
  cluster = await startTestCluster();
  sink = new Sink();
  await sink.start();
  relay = await startRelay({
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url }]),
  });
}, 60_000);
afterAll(async () => {
  await relay?.close();
  await sink?.stop();
  await cluster?.dispose();
});

it('ingests, deduplicates, looks up and forwards on Redis Cluster', async () => {
  const uid = freshUid();
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'accepted', uid });
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'duplicate', uid });
  const res = await request(`${relay.url}/admin/events/${uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(((await res.body.json()) as { uid: string }).uid).toBe(uid);
  await until(() => sink.delivered.includes(uid), 10_000, 'forwarded through the cluster');
  const ready = (await (await request(`${relay.url}/readyz`)).body.json()) as { store: string };
  expect(ready.store).toBe('redis-cluster');
});

it('with PARTITIONS=6, spreads the ring buffer over the shards and still delivers every event once', async () => {
  const spread = await startRelay({
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    PARTITIONS: '6',
    DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url }]),
  });
  try {
    const uids = Array.from({ length: 40 }, () => freshUid());
    for (const uid of uids) expect((await postEvent(spread.url, loginEventJson(uid))).json.status).toBe('accepted');
    await until(() => uids.every((u) => sink.delivered.includes(u)), 15_000, 'every event forwarded');
    // The partitions' streams live on more than one primary: the load spreads over the shards.
    const owners = new Set<string>();
    for (let p = 0; p < 6; p++) {
      const key = `${spread.config.KEY_PREFIX}{p${p}}:events`;
      for (const node of cluster.nodes) {
        const [host, port] = node.split(':');
        const direct = new Redis({ host, port: Number(port), lazyConnect: true });
        await direct.connect();
        if ((await direct.exists(key).catch(() => 0)) === 1) owners.add(node);
        direct.disconnect();
      }
    }
    expect(owners.size).toBeGreaterThan(1);
    const ready = (await (await request(`${spread.url}/readyz`)).body.json()) as { partitions: number; replication: { primaries: number } };
    expect(ready).toMatchObject({ partitions: 6, replication: { primaries: 3 } });
  } finally {
    await spread.close();
  }
});

it('runs replay jobs, the byte counters and the quarantine script in one slot each on Redis Cluster', async () => {
  const uids = Array.from({ length: 5 }, () => freshUid());
  for (const uid of uids) expect((await postEvent(relay.url, loginEventJson(uid))).json.status).toBe('accepted');
  await until(() => uids.every((u) => sink.delivered.includes(u)), 10_000, 'forwarded');
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const started = await request(`${relay.url}/admin/replay`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ destination: 'audit', from: uids[0] }),
  });
  const { id } = (await started.body.json()) as { id: string };
  const job = async () =>
    (await (await request(`${relay.url}/admin/jobs/${id}`, { headers: admin })).body.json()) as { state: string; matched: number };
  await until(async () => (await job()).state === 'done', 10_000, 'replay job done');
  expect(await job()).toMatchObject({ matched: 5 });
  const now = Date.now();
  // Held by another replica (restarted under its name): the relay's own watcher leaves it alone.
  await relay.store.createJob({ id: 'elsewhere', data: '{}' }, 'replica-x', now + 60_000);
  expect(await relay.store.claimJob('replica-x', now, now + 60_000, [])).toEqual({ id: 'elsewhere', data: '{}' });
  expect(await relay.store.saveJob({ id: 'elsewhere', data: '{}' }, 'replica-x', false, 0, now)).toBe(true);
  expect(await relay.store.bufferBytes()).toBeGreaterThan(0);
  expect((await postEvent(relay.url, JSON.stringify({ neither: 'event nor admin event' }))).json.status).toBe('quarantined');
});
