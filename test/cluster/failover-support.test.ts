// The failover test support itself: a 3+3 cluster on loopback whose primary, once SIGKILLed, is
// replaced by its replica with the data it had replicated, and whose clients then find it.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';

let cluster: TestCluster;
let client: Cluster;
beforeAll(async () => {
  cluster = await startTestCluster({ replicas: true, appendfsync: 'everysec' });
  client = new Cluster(cluster.nodes.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })));
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await cluster?.dispose();
});

it('starts three primaries, each with a replica, covering every slot', async () => {
  const masters = await cluster.masters();
  expect(masters).toHaveLength(3);
  expect(masters.flatMap((m) => m.slots).reduce((n, [a, b]) => n + b - a + 1, 0)).toBe(16_384);
  for (const m of masters) expect((await cluster.replicaOf(m))?.address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(cluster.nodes).toHaveLength(6);
});

it('promotes the replica of a killed primary, which still holds what was replicated', async () => {
  await client.set('{p0}:probe', 'kept');
  const owner = await cluster.masterForKey('{p0}');
  const replica = await cluster.replicaOf(owner);
  // WAIT: the write reached the replica before the crash, so the failover cannot lose it.
  const onOwner = client.nodes('master').find((n) => n.options.port === owner.port)!;
  expect(await onOwner.call('WAIT', '1', '2000')).toBe(1);
  const index = (await cluster.masters()).findIndex((m) => m.id === owner.id);
  await cluster.killMaster(index);
  const failover = await cluster.waitForFailover(30_000);
  expect(failover.dead.id).toBe(owner.id);
  expect(failover.promoted.id).toBe(replica?.id);
  expect((await cluster.masterForKey('{p0}')).id).toBe(replica?.id);
  expect(await cluster.masters()).toHaveLength(3);
  console.log(`failover of the {p0} primary: ${failover.ms} ms after SIGKILL (cluster-node-timeout 2000 ms)`);
  expect(await client.get('{p0}:probe')).toBe('kept');
}, 60_000);
