// A request arriving on a busy keep-alive connection while the relay shuts down: the request in
// flight is answered, the next one gets the coded 503 (KCR_ERR_SHUTTING_DOWN, Retry-After), not
// fastify's own uncoded body.
import { connect } from 'node:net';
import { expect, inject, it } from 'vitest';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { NODE, SECRET, startRelay } from '../support/relay.js';

it('answers the request in flight, then refuses the next one on the same connection with KCR_ERR_SHUTTING_DOWN', async () => {
  const relay = await startRelay({ REDIS_URL: inject('redisUrl') });
  const socket = connect({ port: Number(new URL(relay.url).port), host: '127.0.0.1' });
  let received = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  // "100 Continue" tells the request was handed to fastify (routed before the close began).
  const continued = new Promise<void>((resolve) =>
    socket.on('data', (d: Buffer) => {
      received += d.toString('utf8');
      if (received.includes('100 Continue')) resolve();
    }),
  );
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const body = loginEventJson(freshUid());
  socket.write(
    `POST /events HTTP/1.1\r\nHost: relay\r\nAuthorization: ${basic(NODE, SECRET)}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  await continued;
  const closing = relay.close();
  // The body, then a second request pipelined behind it on the same (busy, so not reaped) connection.
  socket.write(`${body}GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n`);
  const timer = setTimeout(() => socket.destroy(), 10_000);
  await closed;
  clearTimeout(timer);
  await closing;

  const answers = received.split(/(?=HTTP\/1\.1 )/).filter((a) => !a.startsWith('HTTP/1.1 100'));
  expect(answers).toHaveLength(2);
  expect(answers[0]).toMatch(/^HTTP\/1\.1 200/);
  expect(answers[0]).toContain('"status":"accepted"');
  expect(answers[1]).toMatch(/^HTTP\/1\.1 503/);
  expect(answers[1]).toMatch(/\r\nretry-after: 2\r\n/i);
  expect(answers[1]).toContain('"code":"KCR_ERR_SHUTTING_DOWN"');
});
