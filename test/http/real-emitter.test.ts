// The real emitter's captured requests, replayed byte for byte (headers as sent) to a relay on a real
// Redis configured as the README's operator table says for the build: every one is accepted once
// and stored as Keycloak meant it, and its cluster-logout message is the one its JSON twin yields.
// That is where the misnamed bytes did harm: on Keycloak 8 a consent grant published a
// consent revocation, and a real REVOKE_GRANT published nothing.
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogoutMessage } from '../../src/logout/message.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';
import { capturesPresent, loadCaptures, operatorSettings, SKIP_REASON, storableName, type Capture } from '../support/real-emitter.js';
import { until } from '../support/sink.js';

const redisUrl = inject('redisUrl');
const captures = loadCaptures();
const builds = [...new Set(captures.map((c) => c.build))];
/** The Basic-auth password of every capture. */
const CAPTURE_SECRET = 'real-emitter-secret';

async function replay(url: string, c: Capture): Promise<{ status: number; json: { status: string; uid?: string } }> {
  const h = c.request.headers;
  const res = await request(`${url}${c.request.path}`, {
    method: c.request.method as 'POST',
    headers: {
      'Content-type': h['Content-type']!,
      Authorization: h.Authorization!,
      'User-Agent': h['User-Agent']!,
      'Accept-Encoding': h['Accept-Encoding']!,
    },
    body: c.body,
  });
  return { status: res.statusCode, json: (await res.body.json()) as { status: string; uid?: string } };
}

async function stored(url: string, uid: string): Promise<Record<string, unknown>> {
  const res = await request(`${url}/admin/events/${uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as Record<string, unknown>;
}

/** The scenario a capture belongs to (`06-revoke-grant`), shared by its JSON and FlatBuffer requests. */
const scenarioOf = (c: Capture) =>
  c.file
    .split('/')[1]!
    .replace(/-(json|flatbuffer)-/, '-')
    .replace(/\.json$/, '');

// Without the captures there is no build to name: one skipped test says why.
if (!capturesPresent) it.skip(`real emitter captures over HTTP (${SKIP_REASON})`, () => {});

describe.each(builds)('%s', (build) => {
  const mine = captures.filter((c) => c.build === build);
  let relay: Relay;
  let subscriber: Redis;
  const heard = new Map<string, LogoutMessage[]>();

  beforeAll(async () => {
    relay = await startRelay({ REDIS_URL: redisUrl, AUTH_SECRET: CAPTURE_SECRET, ...operatorSettings(build) }, { logout: true });
    subscriber = new Redis(redisUrl);
    subscriber.on('message', (_channel: string, text: string) => {
      const m = JSON.parse(text) as LogoutMessage;
      heard.set(m.eventUid, [...(heard.get(m.eventUid) ?? []), m]);
    });
    await subscriber.subscribe(`${relay.config.KEY_PREFIX}logout`);
  });
  afterAll(async () => {
    subscriber?.disconnect();
    await relay?.close();
  });

  it('accepts every request once, answers its resend as a duplicate, and stores what Keycloak meant', async () => {
    for (const c of mine) {
      expect(await replay(relay.url, c), c.file).toEqual({ status: 200, json: { status: 'accepted', uid: c.expected.uid } });
      expect((await replay(relay.url, c)).json.status, c.file).toBe('duplicate');
      const event = await stored(relay.url, c.expected.uid);
      expect(event, c.file).toMatchObject({
        type: storableName(c, 'type'),
        operationType: storableName(c, 'operationType'),
        resourceType: storableName(c, 'resourceType'),
        userId: c.expected.userId,
        source: { node: 'kc-node-1', format: c.format === 'JSON' ? 'json' : 'flatbuffer' },
      });
    }
  });

  it('publishes for each FlatBuffer request exactly the logout message of its JSON twin', async () => {
    // Acknowledged means published; a PING answered on the subscriber's connection comes after every
    // message Redis pushed to it before.
    await until(
      async () => {
        const { lag, pending } = await relay.store.groupState('@logout');
        return lag === 0 && pending === 0;
      },
      10_000,
      'publisher caught up',
    );
    await subscriber.ping();
    const shape = (uid: string) =>
      (heard.get(uid) ?? []).map(({ kind, reason, realmId, userId, sessionId, clientId }) => ({
        kind,
        reason,
        realmId,
        userId,
        sessionId,
        clientId,
      }));
    const byScenario = Map.groupBy(mine, scenarioOf);
    for (const [scenario, pair] of byScenario) {
      const json = pair.find((c) => c.format === 'JSON')!;
      const flat = pair.find((c) => c.format === 'FLATBUFFER')!;
      expect(shape(flat.expected.uid), scenario).toEqual(shape(json.expected.uid));
    }
    const revoke = byScenario.get('06-revoke-grant')!.find((c) => c.format === 'FLATBUFFER')!;
    expect(shape(revoke.expected.uid)).toEqual([
      expect.objectContaining({ kind: 'user', reason: 'consent-revoked', userId: revoke.expected.userId, clientId: 'shop' }),
    ]);
    const grant = byScenario.get('08-grant-consent')!.find((c) => c.format === 'FLATBUFFER')!;
    expect(shape(grant.expected.uid)).toEqual([]);
  });
});
