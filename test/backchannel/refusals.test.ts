// The anonymous token routes leak nothing and cannot flood the log: an issuer whose keys cannot be
// fetched gives a fixed description (never the fetch's `connect ECONNREFUSED 127.0.0.1:…`), and a
// burst of refusals writes a line or two carrying a count, not a line each. The details are in the
// log, where an operator looks for them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestIssuer } from '../support/oidc-issuer.js';
import { startRelay, type Relay } from '../support/relay.js';
import { postLogoutToken } from './support.js';

/** Nothing listens on port 9 (discard): every fetch of this issuer's keys is refused. */
const UNREACHABLE = 'http://127.0.0.1:9/realms/shop';
let dataDir: string;
let issuer: TestIssuer;
let relay: Relay;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kcr-bcl-refusals-'));
  issuer = await new TestIssuer('shop').start();
  relay = await startRelay(
    {
      DATA_DIR: dataDir,
      // The new name of the list: the back-channel route is on with it as with BACKCHANNEL_ISSUERS.
      TOKEN_ISSUERS: JSON.stringify([
        { issuer: UNREACHABLE, audiences: ['web'] },
        { issuer: issuer.issuer, audiences: ['web'] },
      ]),
      BACKCHANNEL_JWKS_COOLDOWN: '1ms',
    },
    { logout: true },
  );
});
afterAll(async () => {
  await relay.close();
  await issuer.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const refusalLines = () =>
  relay.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => String(l.msg).startsWith('back-channel logout refused'));

it('answers an unreachable JWKS with a fixed description, and logs what happened', async () => {
  const answer = await postLogoutToken(relay.url, await issuer.token('web', { claims: { iss: UNREACHABLE } }));
  expect(answer.status).toBe(400);
  expect(answer.json).toEqual({
    error: 'invalid_request',
    error_description: "No key of the issuer's is available to verify the logout token",
    code: 'KCR_ERR_BACKCHANNEL_KEY',
  });
  expect(answer.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:9\b/);
  expect(refusalLines()[0]).toMatchObject({ code: 'KCR_ERR_BACKCHANNEL_KEY', reason: expect.stringMatching(/ECONNREFUSED/), refusals: 1 });
});

it('gives every refusal of one code the same description, whatever the token held', async () => {
  const descriptions = new Set<string>();
  for (const aud of ['billing', 'shop-admin', 'x'.repeat(300)]) {
    const answer = await postLogoutToken(relay.url, await issuer.token('web', { claims: { aud } }));
    expect(answer.json?.code).toBe('KCR_ERR_BACKCHANNEL_CLAIMS');
    descriptions.add(answer.json!.error_description);
  }
  expect([...descriptions]).toEqual(['A claim of the logout token is refused (aud, iat, exp, events, sub/sid, jti, nonce, typ)']);
});

it('writes at most a few lines for 30 refusals, each with a count of those it stands for', async () => {
  const before = refusalLines().length;
  for (let i = 0; i < 30; i++) {
    const answer = await postLogoutToken(relay.url, await issuer.token('web', { claims: { iss: UNREACHABLE } }));
    expect(answer.json?.code).toBe('KCR_ERR_BACKCHANNEL_KEY');
  }
  const lines = refusalLines().slice(before);
  expect(lines.length).toBeLessThanOrEqual(3);
  for (const line of lines) expect(line.refusals).toEqual(expect.any(Number));
  expect(await relay.metrics.registry.getSingleMetricAsString('kcr_backchannel_logout_requests_total')).toMatch(
    /outcome="KCR_ERR_BACKCHANNEL_KEY"\} 31/,
  );
});
