// A destination's secrets are neither weak, nor shown, nor dropped: a whsec_ secret outside
// Standard Webhooks' 24–64 bytes is refused at start; a URL's user and password are sent as Basic
// auth (and refused at start when not percent-encoded); /admin/destinations shows the URL without
// them or its query; start-up warns about plain http:// to another host and about no secret.
import { request } from 'undici';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { destinationWarnings } from '../../src/config/destination-warnings.js';
import { loadConfig } from '../../src/config/env.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, SECRET, startRelay, type Relay } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const whsec = (bytes: number) => `whsec_${Buffer.alloc(bytes, 7).toString('base64')}`;
const destinations = (list: object[]) => loadConfig({ AUTH_SECRET: SECRET, DESTINATIONS: JSON.stringify(list) }).DESTINATIONS;

describe('DESTINATIONS secrets at start', () => {
  it('refuses a whsec_ secret outside 24 to 64 decoded bytes, naming the field and not the secret', () => {
    for (const secret of ['whsec_A', whsec(1), whsec(23), whsec(65)]) {
      let message = '';
      try {
        destinations([{ name: 'audit', url: 'https://siem.example/hook', secret }]);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, secret).toMatch(/DESTINATIONS\.0\.secret: secret must decode to 24 to 64 bytes/);
      expect(message).not.toContain(secret);
    }
    for (const secret of [whsec(24), whsec(32), whsec(64)]) {
      expect(destinations([{ name: 'audit', url: 'https://siem.example/hook', secret }])[0]).toMatchObject({ type: 'webhook', secret });
    }
  });

  it('refuses a URL whose user or password is not percent-encoded', () => {
    expect(() => destinations([{ name: 'audit', url: 'https://user:100%@siem.example/hook' }])).toThrow(
      /DESTINATIONS\.0\.url: url: user and password must be percent-encoded/,
    );
  });

  it('warns about plain http:// to another host and about a destination without a secret', () => {
    const warnings = destinationWarnings(
      destinations([
        { name: 'remote-plain', url: 'http://siem.example/hook', secret: whsec(32) },
        { name: 'local-plain', url: 'http://127.0.0.1:9/hook', secret: whsec(32) },
        { name: 'local-name', url: 'http://localhost:9/hook', secret: whsec(32) },
        { name: 'local-v6', url: 'http://[::1]:9/hook', secret: whsec(32) },
        { name: 'unsigned', url: 'https://siem.example/hook' },
        { name: 'signed', url: 'https://siem.example/hook', secret: whsec(32) },
      ]),
    );
    expect(warnings).toEqual([
      { destination: 'remote-plain', message: expect.stringContaining('plain http:// to siem.example') },
      { destination: 'unsigned', message: expect.stringContaining('has no secret') },
    ]);
  });
});

describe('a destination URL with credentials and a query', () => {
  let relay: Relay | undefined;
  let sink: Sink | undefined;
  afterEach(async () => {
    await relay?.close();
    await sink?.stop();
    relay = undefined;
    sink = undefined;
  });

  it('sends the credentials as Basic auth, and /admin/destinations shows neither them nor the query', async () => {
    sink = new Sink();
    await sink.start();
    const url = `http://relay%20user:p%40ss%3Aword@127.0.0.1:${sink.port}/hook?token=query-token-1234`;
    relay = await startRelay({ REDIS_URL: inject('redisUrl'), DESTINATIONS: JSON.stringify([{ name: 'basic', url, secret: whsec(32) }]) });

    const uid = freshUid();
    expect((await postEvent(relay.url, loginEventJson(uid))).json.status).toBe('accepted');
    await until(() => sink!.delivered.includes(uid), 5_000, 'delivery');
    expect(sink.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('relay user:p@ss:word').toString('base64')}`);

    const res = await request(`${relay.url}/admin/destinations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await res.body.text();
    expect(JSON.parse(text)).toMatchObject([{ name: 'basic', url: `http://127.0.0.1:${sink.port}/hook` }]);
    for (const secret of ['relay%20user', 'p%40ss', 'query-token-1234']) expect(text).not.toContain(secret);
    expect(relay.logs.join('')).not.toContain('p%40ss');
  });

  it('logs the start-up warnings, naming the destination', async () => {
    relay = await startRelay({
      REDIS_URL: inject('redisUrl'),
      // Nothing is posted: no event, so no delivery to the unresolvable host.
      DESTINATIONS: JSON.stringify([{ name: 'remote', url: 'http://relay-test-sink.invalid/hook' }]),
    });
    const warnings = relay.logs.map((l) => JSON.parse(l)).filter((l) => l.level === 40 && l.destination === 'remote');
    expect(warnings.map((l) => l.msg)).toEqual([
      expect.stringContaining('plain http:// to relay-test-sink.invalid'),
      expect.stringContaining('has no secret'),
    ]);
  });
});
