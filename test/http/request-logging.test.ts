// What the relay logs per request: nothing for a stored event at the default level (info), its own
// line for a refused body; at debug, one line per answer, never the credentials.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

let relay: Relay | undefined;
let dir: string | undefined;
afterEach(async () => {
  await relay?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  relay = undefined;
  dir = undefined;
});

async function start(level: string): Promise<Relay> {
  dir = mkdtempSync(join(tmpdir(), 'kcr-http-logging-'));
  relay = await startRelay({ DATA_DIR: dir, LOG_LEVEL: level });
  return relay;
}

const linesSince = (r: Relay, from: number) => r.logs.slice(from).map((l) => JSON.parse(l) as Record<string, unknown>);

it('writes no line for a stored event at LOG_LEVEL=info, one for a refused body', async () => {
  const r = await start('info');
  const from = r.logs.length;
  expect((await postEvent(r.url, loginEventJson(freshUid()))).status).toBe(200);
  expect((await postEvent(r.url, loginEventJson(freshUid()))).status).toBe(200);
  expect(linesSince(r, from)).toEqual([]);

  expect((await postEvent(r.url, '[]')).status).toBe(400);
  expect(linesSince(r, from)).toMatchObject([{ msg: 'body rejected', code: 'KCR_ERR_BODY_NOT_JSON' }]);
});

it('writes one line per answer at LOG_LEVEL=debug, with its request id and without the credentials', async () => {
  const r = await start('debug');
  const from = r.logs.length;
  expect((await postEvent(r.url, loginEventJson(freshUid()), { 'x-request-id': 'req-42' })).status).toBe(200);
  expect((await postEvent(r.url, loginEventJson(freshUid()), { authorization: basic(NODE, 'a-wrong-guess') })).status).toBe(401);
  const answered = linesSince(r, from).filter((l) => l.msg === 'answered');
  expect(answered).toMatchObject([
    { reqId: 'req-42', method: 'POST', url: '/events', statusCode: 200, ms: expect.any(Number) },
    { method: 'POST', url: '/events', statusCode: 401 },
  ]);
  const all = r.logs.join('');
  expect(all).not.toContain(SECRET);
  expect(all).not.toContain('a-wrong-guess');
});

it("logs and echoes a caller's X-Request-Id only when it is 1 to 128 visible ASCII characters", async () => {
  const r = await start('debug');
  const sent = async (id: string) => {
    const from = r.logs.length;
    const answer = await postEvent(r.url, loginEventJson(freshUid()), { 'x-request-id': id });
    expect(answer.status).toBe(200);
    const answered = linesSince(r, from).find((l) => l.msg === 'answered')!;
    return { logged: answered.reqId, echoed: answer.headers['x-request-id'] };
  };
  const fine = 'b7e1c2d4-0f3a-4c5e-9d8b-7a6f5e4d3c2b';
  expect(await sent(fine)).toEqual({ logged: fine, echoed: fine });
  expect(await sent('x'.repeat(128))).toEqual({ logged: 'x'.repeat(128), echoed: 'x'.repeat(128) });
  for (const refused of ['x'.repeat(129), 'two words', 'caf\u00e9', 'a\tb']) {
    const { logged, echoed } = await sent(refused);
    expect(logged, JSON.stringify(refused)).toMatch(/^req-[0-9a-z]+$/);
    expect(echoed).toBe(logged);
  }
  // Without one, the generated id is echoed too.
  const answer = await postEvent(r.url, loginEventJson(freshUid()));
  expect(answer.headers['x-request-id']).toMatch(/^req-[0-9a-z]+$/);
});
