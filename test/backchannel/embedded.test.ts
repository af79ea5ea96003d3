// Back-channel logout without Redis: the verified token reaches application nodes over the SSE
// stream (GET /logouts), its revocation answers GET /logouts/revoked, and its jti stays used across
// a restart of the relay (the embedded store's database in DATA_DIR).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LogoutMessage } from '../../src/logout/message.js';
import { TestIssuer } from '../support/oidc-issuer.js';
import { startRelay, type Relay } from '../support/relay.js';
import { postLogoutToken } from './support.js';

const TOKEN = 'logout-stream-token-0123';
let dataDir: string;
let issuer: TestIssuer;
let relay: Relay;

const env = () => ({
  DATA_DIR: dataDir,
  LOGOUT_STREAM_TOKEN: TOKEN,
  BACKCHANNEL_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audiences: ['web'] }]),
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kcr-bcl-'));
  issuer = await new TestIssuer('shop').start();
  relay = await startRelay(env(), { logout: true });
});
afterAll(async () => {
  await relay.close();
  await issuer.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Opens GET /logouts and resolves with the first message `match` accepts (5 s at most). */
async function nextMessage(url: string, match: (m: LogoutMessage) => boolean, then: () => Promise<void>): Promise<LogoutMessage> {
  const res = await request(`${url}/logouts`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.statusCode).toBe(200);
  const timer = setTimeout(() => res.body.destroy(new Error('no matching SSE message within 5 s')), 5_000);
  try {
    await then();
    let buffered = '';
    for await (const chunk of res.body) {
      buffered += (chunk as Buffer).toString('utf8');
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const message = JSON.parse(line.slice(6)) as LogoutMessage;
        if (match(message)) return message;
      }
    }
    throw new Error('stream ended');
  } finally {
    clearTimeout(timer);
    res.body.destroy();
  }
}

const revoked = async (query: Record<string, string>): Promise<boolean> => {
  const res = await request(`${relay.url}/logouts/revoked?${new URLSearchParams(query).toString()}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { revoked: boolean }).revoked;
};

it('streams the logout to SSE subscribers, revokes the session, and refuses the replay, even after a restart', async () => {
  const claims = issuer.claims('web');
  const token = await issuer.token('web', { claims });
  const message = await nextMessage(
    relay.url,
    (m) => m.jti === claims.jti,
    async () => expect((await postLogoutToken(relay.url, token)).status).toBe(200),
  );
  expect(message).toMatchObject({
    kind: 'session',
    reason: 'backchannel',
    realmId: 'shop',
    issuer: issuer.issuer,
    sessionId: claims.sid,
    userId: claims.sub,
  });

  const iat = String(claims.iat);
  expect(await revoked({ iss: issuer.issuer, sub: claims.sub as string, sid: claims.sid as string, iat })).toBe(true);
  expect(await revoked({ realmId: 'shop', sub: claims.sub as string, sid: claims.sid as string, iat })).toBe(true);
  expect(await revoked({ realmId: 'a-realm-uuid', sub: claims.sub as string, sid: claims.sid as string, iat })).toBe(false);

  expect((await postLogoutToken(relay.url, token)).json?.code).toBe('KCR_ERR_BACKCHANNEL_REPLAY');
  await relay.close();
  relay = await startRelay(env(), { logout: true });
  expect((await postLogoutToken(relay.url, token)).json?.code).toBe('KCR_ERR_BACKCHANNEL_REPLAY');
});
