// The relay cut off from Redis while a valid logout token arrives: never 200 (Keycloak then reports
// the logout as failed), and nothing recorded, so the same token is accepted once Redis is back.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { TestIssuer } from '../support/oidc-issuer.js';
import { startRelay, type Relay } from '../support/relay.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { postLogoutToken, type BackchannelAnswer } from './support.js';

let issuer: TestIssuer;
let proxy: TcpProxy;
let relay: Relay;

beforeAll(async () => {
  issuer = await new TestIssuer('shop').start();
  proxy = new TcpProxy(Number(new URL(inject('redisUrl')).port));
  await proxy.start();
  relay = await startRelay(
    {
      REDIS_URL: proxy.url,
      REDIS_COMMAND_TIMEOUT: '500ms',
      BACKCHANNEL_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audiences: ['web'] }]),
    },
    { logout: true },
  );
});
afterAll(async () => {
  await relay.close();
  await proxy.cut();
  await issuer.stop();
});

it('answers 400 temporarily_unavailable while the store is unreachable, and accepts the same token afterwards', async () => {
  expect((await postLogoutToken(relay.url, await issuer.token('web'))).status).toBe(200);
  const token = await issuer.token('web');

  await proxy.cut();
  const during = await postLogoutToken(relay.url, token);
  expect(during.status).toBe(400);
  expect(during.json).toMatchObject({ error: 'temporarily_unavailable', code: 'KCR_ERR_BACKCHANNEL_UNAVAILABLE' });

  await proxy.start();
  // The bus reconnects on its own schedule: retried while it says unavailable (bounded).
  let after: BackchannelAnswer = during;
  for (let attempt = 0; attempt < 100 && after.json?.code === 'KCR_ERR_BACKCHANNEL_UNAVAILABLE'; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await postLogoutToken(relay.url, token);
  }
  // Not a replay: the failed attempt left no jti marker behind.
  expect(after.status).toBe(200);
});
