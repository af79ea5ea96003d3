// Cluster logout on a real three-primary Redis Cluster: the revocation is recorded by a one-slot
// script, the message goes out with SPUBLISH on both channels (different slots, possibly different
// shards), and the client hears it through sharded subscriptions.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogoutClient, type LogoutClient, type LogoutMessage } from '../../src/client/index.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

let cluster: TestCluster;
let relay: Relay;
let commands: Cluster;
let oneRealm: LogoutClient;
let allRealms: LogoutClient;
const heard = { oneRealm: [] as LogoutMessage[], allRealms: [] as LogoutMessage[] };

beforeAll(async () => {
  cluster = await startTestCluster();
  relay = await startRelay({ REDIS_CLUSTER_NODES: cluster.nodes.join(',') }, { logout: true });
  const startupNodes = cluster.nodes.map((hp) => ({ host: '127.0.0.1', port: Number(hp.split(':')[1]) }));
  commands = new Cluster(startupNodes);
  const keyPrefix = relay.config.KEY_PREFIX;
  oneRealm = await createLogoutClient({ redis: commands, keyPrefix, realmId: 'shop' });
  allRealms = await createLogoutClient({ redis: commands, keyPrefix });
  oneRealm.on('session', (m) => void heard.oneRealm.push(m));
  allRealms.on('message', (m) => void heard.allRealms.push(m));
}, 60_000);
afterAll(async () => {
  await oneRealm?.close();
  await allRealms?.close();
  commands?.disconnect();
  await relay?.close();
  await cluster?.dispose();
});

it('publishes with SPUBLISH on both channels and records the revocation in the realm slot', async () => {
  const uid = freshUid();
  const sid = randomUUID();
  const sub = randomUUID();
  const body = loginEventJson(uid, {
    type: 'LOGOUT',
    realmId: 'shop',
    clientId: 'web',
    userId: sub,
    sessionId: sid,
    ipAddress: null,
    details: {},
  });
  expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  await until(
    () => heard.oneRealm.some((m) => m.eventUid === uid) && heard.allRealms.some((m) => m.eventUid === uid),
    10_000,
    'heard on both channels',
  );
  const m = heard.oneRealm.find((x) => x.eventUid === uid) as LogoutMessage;
  expect(m).toMatchObject({ kind: 'session', sessionId: sid, realmId: 'shop' });
  expect(await oneRealm.isRevoked({ sub, sid, azp: 'web', iat: m.notBefore - 1 })).toBe(true);
  expect(await oneRealm.isRevoked({ sub, sid, azp: 'web', iat: m.notBefore })).toBe(false);
});

it('lists and lifts revocations of realms whose slots live on different primaries', async () => {
  // Realm names spread over the three primaries' slots: the listing scans each of them.
  const realms = Array.from({ length: 6 }, (_, i) => `realm-${i}-${randomUUID().slice(0, 8)}`);
  const owners = await Promise.all(realms.map((r) => cluster.masterForKey(`{rv:${r}}`)));
  expect(new Set(owners.map((o) => o.id)).size).toBeGreaterThan(1);
  for (const realmId of realms) {
    const body = loginEventJson(freshUid(), { type: 'LOGOUT', realmId, clientId: 'web', userId: 'u-1', sessionId: 's-1', details: {} });
    expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  }
  const { bus } = relay.logout!;
  await until(
    async () => (await Promise.all(realms.map((r) => bus.listRevocations(r, 10)))).every((l) => l.length === 1),
    10_000,
    'listed',
  );
  for (const realmId of realms) {
    expect(await bus.listRevocations(realmId, 10)).toMatchObject([{ realmId, scope: 'session:s-1' }]);
    expect(await bus.liftRevocation(realmId, 'session:s-1')).toMatchObject({ realmId, scope: 'session:s-1' });
    expect(await bus.listRevocations(realmId, 10)).toEqual([]);
    expect(await bus.liftRevocation(realmId, 'session:s-1')).toBeNull();
  }
});
