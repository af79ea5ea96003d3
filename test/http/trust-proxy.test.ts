// TRUST_PROXY names the proxies (addresses/CIDRs) or their number, never "everyone": a client's own
// X-Forwarded-For cannot pick a fresh throttle key per guess, since failures also count for the TCP
// peer; and a trusted proxy, one address for every client behind it, is not held to
// MAX_CONNECTIONS_PER_ADDRESS.
import { connect } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { addressMatcher } from '../../src/http/proxy-trust.js';
import { postEvent } from '../support/http.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, NODE, SECRET, startRelay, type Relay } from '../support/relay.js';

describe('TRUST_PROXY', () => {
  const config = (value: string) => loadConfig({ AUTH_SECRET: SECRET, TRUST_PROXY: value }).TRUST_PROXY;

  it('refuses true, naming the variable and the choices', () => {
    expect(() => config('true')).toThrow(/TRUST_PROXY: .*comma list of the proxies' addresses or CIDRs.*number of proxies.*or false/);
  });

  it('refuses an entry that is neither an address nor a CIDR', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '::1/129', '10.0.0.0/x']) {
      expect(() => config(bad), bad).toThrow(/TRUST_PROXY: .* is not an address or a CIDR|TRUST_PROXY: .*prefix longer/);
    }
  });

  it('reads a list of addresses, CIDRs and named ranges, a hop count, or false', () => {
    expect(config('10.0.0.0/8, 192.168.1.4,::1,loopback')).toEqual({
      kind: 'proxies',
      proxies: ['10.0.0.0/8', '192.168.1.4', '::1', 'loopback'],
    });
    expect(config('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(config('false')).toEqual({ kind: 'off' });
    expect(config('0')).toEqual({ kind: 'off' });
    expect(loadConfig({ AUTH_SECRET: SECRET }).TRUST_PROXY).toEqual({ kind: 'off' });
  });

  it('matches IPv4, IPv6 and IPv4-mapped peers against the entries', () => {
    const matches = addressMatcher(['10.0.0.0/8', 'fd00::/8', '192.168.1.4']);
    expect(['10.1.2.3', '::ffff:10.1.2.3', 'fd00::1', '192.168.1.4'].map(matches)).toEqual([true, true, true, true]);
    expect(['11.0.0.1', '192.168.1.5', 'fe80::1', 'not an address', ''].map(matches)).toEqual([false, false, false, false, false]);
  });
});

describe('behind a trusted proxy', () => {
  let relay: Relay;
  afterEach(() => relay.close());

  const admin = (token: string, forwardedFor: string) =>
    request(`${relay.url}/admin/destinations`, {
      headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': forwardedFor },
    }).then(async (r) => ({ status: r.statusCode, json: (await r.body.json()) as any }));

  it('a client rotating X-Forwarded-For through the proxy is still throttled: 22 wrong admin tokens meet a 429', async () => {
    // The test is the proxy (loopback); the default budget, AUTH_MAX_FAILURES=20.
    relay = await startRelay({ REDIS_URL: inject('redisUrl'), TRUST_PROXY: '127.0.0.1,::1' });
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await admin(`wrong-token-${i}-0123456789`, `203.0.113.${i + 1}`)).status);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    // The right token is still admitted, whatever the address.
    expect((await admin(ADMIN_TOKEN, '203.0.113.99')).status).toBe(200);
  });

  it('with a hop count, the client address comes from X-Forwarded-For, and the log names the proxy too', async () => {
    relay = await startRelay({ REDIS_URL: inject('redisUrl'), TRUST_PROXY: '1' });
    const answer = await postEvent(relay.url, loginEventJson(freshUid()), {
      authorization: basic(NODE, 'a-wrong-guess-here'),
      'x-forwarded-for': '198.51.100.7, 203.0.113.9',
    });
    expect(answer.status).toBe(401);
    const line = relay.logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'ingest authentication failed');
    expect(line).toMatchObject({ address: '203.0.113.9', peer: expect.stringMatching(/127\.0\.0\.1$/) });
  });

  it('connections from a trusted proxy are not capped by MAX_CONNECTIONS_PER_ADDRESS', async () => {
    relay = await startRelay({ REDIS_URL: inject('redisUrl'), TRUST_PROXY: 'loopback', MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const port = Number(new URL(relay.url).port);
    const sockets = [];
    try {
      for (let i = 0; i < 6; i++) {
        const socket = connect({ port, host: '127.0.0.1' });
        sockets.push(socket);
        socket.on('error', () => {});
        // Each connection stays open (keep-alive) after its answer; a refused one is closed unanswered.
        const answer = await new Promise<string>((resolve) => {
          let received = '';
          socket.on('data', (d: Buffer) => {
            received += d.toString('latin1');
            if (received.includes('\r\n\r\n')) resolve(received);
          });
          socket.once('close', () => resolve(`closed unanswered: ${received}`));
          socket.write('GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n');
        });
        expect(answer, `connection ${i + 1}`).toMatch(/^HTTP\/1\.1 200/);
      }
    } finally {
      for (const s of sockets) s.destroy();
    }
    expect(await relay.metrics.registry.getSingleMetricAsString('kcr_connections_refused_total')).toMatch(/ 0$/m);
  });
});
