// Requests Node's HTTP parser refuses before fastify sees them, over raw sockets: each is answered
// with the relay's JSON error shape and a code, `Connection: close`, and the connection is closed.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startRelay, type Relay } from '../support/relay.js';

let relay: Relay;
let port: number;
beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), BODY_TIMEOUT: '1s' });
  port = Number(new URL(relay.url).port);
});
afterAll(() => relay.close());

interface Answer {
  status: number;
  headers: Record<string, string>;
  json: { error: { code: string; message: string } };
}

/** Writes `chunks` (then waits), and resolves with what the server sent once it closed the connection (10 s at most). */
async function exchange(write: (socket: Socket) => void): Promise<Answer> {
  const socket = connect({ port, host: '127.0.0.1' });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('utf8')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  write(socket);
  const timer = setTimeout(() => socket.destroy(new Error('still open after 10 s')), 10_000);
  await closed;
  clearTimeout(timer);
  const [head = '', body = ''] = received.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(body));
  return { status: Number(statusLine.split(' ')[1]), headers, json: JSON.parse(body) };
}

it('headers too large: 431 KCR_ERR_HEADERS_TOO_LARGE', async () => {
  const answer = await exchange((s) => s.write(`GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`));
  expect(answer).toMatchObject({ status: 431, headers: { connection: 'close' }, json: { error: { code: 'KCR_ERR_HEADERS_TOO_LARGE' } } });
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
});

it('a malformed request: 400 KCR_ERR_REQUEST', async () => {
  const answer = await exchange((s) => s.write('THIS IS NOT HTTP\r\n\r\n'));
  expect(answer).toMatchObject({ status: 400, headers: { connection: 'close' }, json: { error: { code: 'KCR_ERR_REQUEST' } } });
});

it('headers trickled in beyond BODY_TIMEOUT: 408 KCR_ERR_REQUEST_TIMEOUT', async () => {
  let timer: NodeJS.Timeout | undefined;
  const answer = await exchange((s) => {
    s.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n');
    // A header line every 300 ms, never the blank line that ends them.
    let n = 0;
    timer = setInterval(() => !s.destroyed && s.write(`X-Slow-${n++}: a\r\n`), 300);
  });
  clearInterval(timer);
  expect(answer).toMatchObject({ status: 408, headers: { connection: 'close' }, json: { error: { code: 'KCR_ERR_REQUEST_TIMEOUT' } } });
  expect(answer.json.error.message).toContain('BODY_TIMEOUT');
});

it('still serves afterwards', async () => {
  expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
});
