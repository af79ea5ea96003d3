// The raw-socket phases of the hostile run, where an HTTP client library would get in the way:
// thousands of headers, bodies trickled at 1 byte/s, and a flood of idle connections.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** One raw request over its own socket; resolves to its status line (or how the connection ended). */
function rawRequest(relay, head, body) {
  return new Promise((resolve) => {
    const s = connect({ port: relay.port, host: '127.0.0.1' });
    let received = '';
    s.on('data', (d) => (received += d.toString('latin1')));
    s.on('error', () => {});
    s.once('close', () => resolve(received));
    // Not end(): a client that half-closes may see its connection closed before the answer.
    s.write(head + body);
    setTimeout(() => s.destroy(), 15_000).unref();
  });
}

/** Thousands of headers: 500 fit within Node's header limits, 5,000 do not (431). */
export async function manyHeaders(relay, authorization) {
  // A valid event of its own (keycloakId 10): the headers, not the body, are under test.
  const uid = ((BigInt(Date.now()) - 1_420_070_400_000n) << 22n) | (2n << 20n) | (10n << 15n);
  const text = `{"time":${Date.now()},"type":"LOGIN","realmId":"chaos","details":{},"uid":${uid}}`;
  const head = (n) =>
    `POST /events HTTP/1.1\r\nHost: relay\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
    Array.from({ length: n }, (_, i) => `h${i}:1\r\n`).join('') +
    `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n`;
  const summary = (raw) => {
    const status = /^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1];
    if (!status) return raw ? 'unparsable answer' : 'connection closed without an answer';
    const json = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    const m = /"status":"(\w+)"/.exec(json) ?? /"code":"(\w+)"/.exec(json);
    return `${status}${m ? ` ${m[1]}` : ''}`;
  };
  return { few: summary(await rawRequest(relay, head(500), text)), many: summary(await rawRequest(relay, head(5_000), text)) };
}

/** `n` authenticated connections sending their body at 1 byte/s; how long until the relay cuts each. */
export async function slowBodies(relay, n, { authorization, bodyTimeoutS }) {
  const started = Date.now();
  const sockets = Array.from({ length: n }, () => {
    const s = connect({ port: relay.port, host: '127.0.0.1' });
    s.on('error', () => {});
    s.write(
      `POST /events HTTP/1.1\r\nHost: relay\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: 300\r\n\r\n`,
    );
    const timer = setInterval(() => !s.destroyed && s.write('{'), 1_000);
    let received = '';
    s.on('data', (d) => (received += d.toString('latin1')));
    const closed = new Promise((resolve) => s.once('close', () => (clearInterval(timer), resolve(Date.now() - started))));
    return { s, closed, received: () => received, timer };
  });
  const limit = (bodyTimeoutS + 10) * 1000;
  const times = await Promise.all(sockets.map((x) => Promise.race([x.closed, sleep(limit).then(() => null)])));
  for (const x of sockets) (clearInterval(x.timer), x.s.destroy());
  const cut = times.filter((t) => t !== null);
  return {
    connections: n,
    allCut: cut.length === n,
    stillOpen: n - cut.length,
    answered408: sockets.filter((x) => /^HTTP\/1\.1 408/.test(x.received())).length,
    maxSecondsToCut: cut.length ? Math.max(...cut) / 1000 : null,
  };
}

/** `n` idle connections from one address: those beyond MAX_CONNECTIONS_PER_ADDRESS are closed at once. */
export async function connectionFlood(relay, n) {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve) => {
          const s = connect({ port: relay.port, host: '127.0.0.1' });
          s.on('error', () => {});
          s.once('connect', () => resolve(s));
          s.once('close', () => resolve(s));
        }),
    ),
  );
  await sleep(500);
  const refused = sockets.filter((s) => s.destroyed || s.readyState === 'closed').length;
  for (const s of sockets) s.destroy();
  await sleep(500);
  const servesAfter = await request(`${relay.url}/healthz`).then(
    (x) => (x.body.dump(), x.statusCode === 200),
    () => false,
  );
  return { opened: n, refused, held: n - refused, servesAfter };
}
