// The same relay on a real Redis Cluster: every Lua step touches one hash slot ({p0}), so ingest,
// dedup, lookup and forwarding work unchanged.
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
