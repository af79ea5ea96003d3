// Headers of every answer: `X-Content-Type-Options: nosniff` on all of them (routes, errors, 404s,
// the HTTP parser's refusals, the SSE stream), `Cache-Control: no-store` on the answers carrying
// personal data (admin, quarantine, logouts; refusals included), and the bearer scheme read
// case-insensitively (RFC 7235, 2.1).
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, NODE, startRelay, type Relay } from '../support/relay.js';

const LOGOUT_TOKEN = 'logout-stream-token-0123';
let relay: Relay;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kcr-headers-'));
  // Embedded store: the SSE stream GET /logouts exists only there.
  relay = await startRelay({ DATA_DIR: dir, LOGOUT_STREAM_TOKEN: LOGOUT_TOKEN }, { logout: true });
});
afterAll(async () => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, authorization?: string) {
  const res = await request(`${relay.url}${path}`, { headers: authorization ? { authorization } : {} });
  // The SSE stream never ends: its headers are all this test reads.
  res.body.on('error', () => {});
  res.body.destroy();
  return { status: res.statusCode, headers: res.headers };
}

/** An answer written on the bare socket (the HTTP parser's refusal), headers and all. */
async function raw(text: string): Promise<string> {
  const socket = connect({ port: Number(new URL(relay.url).port), host: '127.0.0.1' });
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  await new Promise<void>((resolve) => socket.once('close', () => resolve()).write(text));
  return received;
}

it('says nosniff on every answer', async () => {
  const answers = [
    await get('/healthz'),
    await get('/metrics'),
    await get('/openapi.json'),
    await get('/'),
    await get('/no-such-route'),
    await get('/admin/destinations'),
    await get('/admin/destinations', `Bearer ${ADMIN_TOKEN}`),
    await get('/logouts', `Bearer ${LOGOUT_TOKEN}`),
    await postEvent(relay.url, loginEventJson(freshUid())),
    await postEvent(relay.url, loginEventJson(freshUid()), { authorization: basic(NODE, 'not-the-secret-at-all') }),
    await postEvent(relay.url, '[]'),
  ];
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 404, 401, 200, 200, 200, 401, 400]);
  for (const [i, a] of answers.entries()) expect(a.headers['x-content-type-options'], `answer ${i}`).toBe('nosniff');
  // Headers over Node's 16 KiB limit: refused by the HTTP parser before fastify sees the request.
  expect(await raw(`GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(
    /^HTTP\/1\.1 431 [^]*\r\nX-Content-Type-Options: nosniff\r\n/i,
  );
});

it('says no-store on admin, quarantine and logout answers, refusals included', async () => {
  const admin = `Bearer ${ADMIN_TOKEN}`;
  const logouts = `Bearer ${LOGOUT_TOKEN}`;
  const answers = [
    await get('/admin/destinations', admin),
    await get('/admin/quarantine', admin),
    await get('/admin/summary', admin),
    await get(`/admin/events/${freshUid()}`, admin),
    await get('/admin/quarantine'),
    await get('/logouts/revoked?realmId=corp&sub=u-1&iat=1', logouts),
    await get('/logouts/revoked?realmId=corp&sub=u-1&iat=1'),
    await get('/logouts', logouts),
  ];
  expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 401, 200, 401, 200]);
  for (const [i, a] of answers.entries()) expect(a.headers['cache-control'], `answer ${i}`).toBe('no-store');
});

it('reads the bearer scheme case-insensitively', async () => {
  for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
    expect((await get('/admin/destinations', `${scheme} ${ADMIN_TOKEN}`)).status, scheme).toBe(200);
    expect((await get('/logouts/revoked?realmId=corp&sub=u-1&iat=1', `${scheme}  ${LOGOUT_TOKEN}`)).status, scheme).toBe(200);
  }
  expect((await get('/admin/destinations', `Basic ${ADMIN_TOKEN}`)).status).toBe(401);
  expect((await get('/admin/destinations', `Bearer${ADMIN_TOKEN}`)).status).toBe(401);
});
