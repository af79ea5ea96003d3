// Back-channel logout on a real three-primary Redis Cluster: the jti marker and the revocation are
// set by one script in the realm's slot, the message goes out with SPUBLISH, a replay is refused,
// and isRevoked reads both realms a token names (its realm id and its issuer's realm name: two slots).
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogoutClient, type LogoutClient, type LogoutMessage } from '../../src/client/index.js';
import { TestIssuer } from '../support/oidc-issuer.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';
import { postLogoutToken } from './support.js';

let cluster: TestCluster;
let issuer: TestIssuer;
let relay: Relay;
let commands: Cluster;
let client: LogoutClient;
const heard: LogoutMessage[] = [];

beforeAll(async () => {
  [cluster, issuer] = await Promise.all([startTestCluster(), new TestIssuer('shop').start()]);
  relay = await startRelay(
    { REDIS_CLUSTER_NODES: cluster.nodes.join(','), BACKCHANNEL_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audiences: ['web'] }]) },
    { logout: true },
  );
  commands = new Cluster(cluster.nodes.map((hp) => ({ host: '127.0.0.1', port: Number(hp.split(':')[1]) })));
  client = await createLogoutClient({ redis: commands, keyPrefix: relay.config.KEY_PREFIX });
  client.on('message', (m) => void heard.push(m));
}, 60_000);
afterAll(async () => {
  await client?.close();
  commands?.disconnect();
  await relay?.close();
  await Promise.all([cluster?.dispose(), issuer?.stop()]);
});

it('publishes a verified token once with SPUBLISH and records it where isRevoked finds it through iss', async () => {
  const claims = issuer.claims('web');
  const token = await issuer.token('web', { claims });
  expect((await postLogoutToken(relay.url, token)).status).toBe(200);
  await until(() => heard.some((m) => m.jti === claims.jti), 10_000, 'heard through the sharded subscription');
  expect(heard.find((m) => m.jti === claims.jti)).toMatchObject({ kind: 'session', realmId: 'shop', sessionId: claims.sid });

  expect((await postLogoutToken(relay.url, token)).json?.code).toBe('KCR_ERR_BACKCHANNEL_REPLAY');

  const checked = {
    realmId: randomUUID(),
    iss: issuer.issuer,
    sub: claims.sub as string,
    sid: claims.sid as string,
    iat: claims.iat as number,
  };
  expect(await client.isRevoked(checked)).toBe(true);
  expect(await client.isRevoked({ ...checked, iss: null })).toBe(false);
});
