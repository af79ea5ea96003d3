// Slow and greedy clients, over real sockets: a body trickled in slower than BODY_TIMEOUT is cut
// (408 KCR_ERR_REQUEST_TIMEOUT, connection closed), and an address holding MAX_CONNECTIONS_PER_ADDRESS connections gets no
// more until one closes.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

let relay: Relay;
let port: number;
beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), BODY_TIMEOUT: '1s', MAX_CONNECTIONS_PER_ADDRESS: '4' });
  port = Number(new URL(relay.url).port);
});
afterAll(() => relay.close());

interface Client {
  socket: Socket;
  /** Everything the server sent. */
  received: () => string;
  /** Resolves when the server (or the network) closed the connection. */
  closed: Promise<void>;
}

async function open(): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1' });
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received, closed };
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms))]);

it('cuts authenticated connections that trickle their body in, answering 408', async () => {
  const body = loginEventJson(freshUid());
  const clients = await Promise.all([1, 2, 3].map(() => open()));
  const timers: NodeJS.Timeout[] = [];
  for (const c of clients) {
    c.socket.write(
      `POST /events HTTP/1.1\r\nHost: relay\r\nAuthorization: ${basic(NODE, SECRET)}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    let sent = 0;
    // One byte every 200 ms: the whole body would take over a minute.
    timers.push(setInterval(() => sent < body.length && !c.socket.destroyed && c.socket.write(body[sent++]!), 200));
  }
  try {
    // Far beyond BODY_TIMEOUT (1 s) plus the 1 s check interval, far below the body's minute.
    await within(Promise.all(clients.map((c) => c.closed)), 15_000, 'slow connections');
  } finally {
    timers.forEach(clearInterval);
  }
  for (const c of clients) {
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(c.received()).toContain('"code":"KCR_ERR_REQUEST_TIMEOUT"');
  }
});

it('refuses connections beyond MAX_CONNECTIONS_PER_ADDRESS, and accepts again once one closes', async () => {
  const held: Client[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await open();
    // A complete request proves the server holds the connection (kept alive afterwards).
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
    await within(
      new Promise<void>((resolve) => c.socket.on('data', () => /\r\n\r\n/.test(c.received()) && resolve())),
      5_000,
      'healthz answer',
    );
    held.push(c);
  }
  const extra = await open();
  extra.socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
  await within(extra.closed, 5_000, 'connection over the cap');
  expect(extra.received()).toBe('');
  expect(await relay.metrics.registry.getSingleMetricAsString('kcr_connections_refused_total')).toMatch(/ 1$/m);
  // The client saw only a closed socket: the relay's log says why.
  expect(relay.logs.filter((l) => l.includes('MAX_CONNECTIONS_PER_ADDRESS'))).toEqual([
    expect.stringContaining('already held 4 (MAX_CONNECTIONS_PER_ADDRESS'),
  ]);

  held[0]!.socket.destroy();
  await held[0]!.closed;
  // The server sees the close a moment after the client: retry until a new connection is served.
  let served = false;
  for (let attempt = 0; attempt < 50 && !served; attempt++) {
    const again = await open();
    again.socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n');
    await again.closed;
    served = /^HTTP\/1\.1 200/.test(again.received());
    if (!served) await new Promise((r) => setTimeout(r, 50));
  }
  expect(served).toBe(true);
  held.slice(1).forEach((c) => c.socket.destroy());
});
