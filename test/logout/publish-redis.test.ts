// Cluster logout over a real Redis: real ioredis subscribers hear exactly one message per
// session-ending event on both channels, for every row in both body formats; duplicates publish
// nothing; the revocation state is durable, so a node cut off during the publish still learns it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogoutClient, type LogoutClient, type LogoutMessage } from '../../src/client/index.js';
import { revocationKey } from '../../src/logout/redis/keys.js';
import { postEvent } from '../support/http.js';
import { BODY_FORMATS, NOTHING, notBeforeOf, REALM, ROWS, jsonBody, type LogoutCase } from '../support/logout-cases.js';
import { freshUid, uidAt, withUid } from '../support/payloads.js';
import { startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const redisUrl = inject('redisUrl');
let relay: Relay;
let prefix: string;
let subscriber: Redis;
let redis: Redis;
const heard: Array<{ channel: string; message: LogoutMessage }> = [];

const onChannel = (uid: string) => heard.filter((h) => h.message.eventUid === uid);

/** Posts an event and waits for its messages: the publisher works in stream order, so everything posted before was handled. */
async function barrier(): Promise<void> {
  const uid = freshUid();
  const body = jsonBody(ROWS[0] as LogoutCase, uid, Date.now());
  expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  await until(() => onChannel(uid).length === 2, 10_000, 'barrier message');
}

beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: redisUrl, FLATBUFFERS_SCHEMA: 'emitter-kc26' }, { logout: true });
  prefix = relay.config.KEY_PREFIX;
  redis = new Redis(redisUrl);
  subscriber = new Redis(redisUrl);
  subscriber.on('message', (channel: string, text: string) => heard.push({ channel, message: JSON.parse(text) as LogoutMessage }));
  await subscriber.subscribe(`${prefix}logout`, `${prefix}logout:${REALM}`);
});
afterAll(async () => {
  await relay.close();
  subscriber.disconnect();
  redis.disconnect();
});

describe.each(Object.keys(BODY_FORMATS) as Array<keyof typeof BODY_FORMATS>)('%s bodies', (format) => {
  it('publishes exactly the expected message on both channels for every row, and nothing for the rest', async () => {
    const posted: Array<{ c: LogoutCase; uid: string; time: number }> = [];
    for (const c of [...ROWS, ...NOTHING]) {
      const time = Date.now();
      const uid = uidAt(time);
      const answer = await postEvent(relay.url, BODY_FORMATS[format](c, uid, time));
      expect(answer.json, c.name).toEqual({ status: 'accepted', uid });
      posted.push({ c, uid, time });
    }
    await barrier();
    for (const { c, uid, time } of posted) {
      const got = onChannel(uid);
      if (c.expected === null) {
        expect(got, c.name).toEqual([]);
        continue;
      }
      expect(got.map((g) => g.channel).sort(), c.name).toEqual([`${prefix}logout`, `${prefix}logout:${REALM}`]);
      const [a, b] = got.map((g) => g.message);
      expect(a, c.name).toEqual(b);
      expect(a, c.name).toEqual({
        v: 1,
        id: expect.stringMatching(/^\d+$/),
        ...c.expected,
        realmId: REALM,
        notBefore: notBeforeOf(time),
        eventUid: uid,
        time,
      });
    }
    const ids = posted.flatMap(({ uid }) => onChannel(uid).map((g) => g.message.id));
    expect(new Set(ids).size).toBe(ids.length / 2);
  });
});

it('publishes nothing for a duplicate', async () => {
  const uid = freshUid();
  const body = BODY_FORMATS.flatbuffer(ROWS[1] as LogoutCase, uid, Date.now());
  expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  expect((await postEvent(relay.url, body)).json.status).toBe('duplicate');
  expect((await postEvent(relay.url, BODY_FORMATS.json(ROWS[1] as LogoutCase, uid, Date.now()))).json.status).toBe('duplicate');
  await barrier();
  expect(onChannel(uid)).toHaveLength(2);
});

describe('revocation state', () => {
  let client: LogoutClient;
  beforeAll(async () => {
    client = await createLogoutClient({ redis: redisUrl, keyPrefix: prefix, realmId: 'shop' });
  });
  afterAll(() => client.close());

  const seen = new Map<string, LogoutMessage>();
  let watcher: Redis;
  beforeAll(async () => {
    watcher = new Redis(redisUrl);
    watcher.on('message', (_c: string, text: string) => {
      const m = JSON.parse(text) as LogoutMessage;
      seen.set(m.eventUid, m);
    });
    await watcher.subscribe(`${prefix}logout`);
  });
  afterAll(() => watcher.disconnect());

  const waitFor = async (uid: string): Promise<LogoutMessage> => {
    await until(() => seen.has(uid), 10_000, `message of ${uid}`);
    return seen.get(uid) as LogoutMessage;
  };

  /** Posts a JSON event (fields without uid) that happened at `time`, and returns its published message. */
  async function publish(body: (time: number) => object, time = Date.now()): Promise<LogoutMessage> {
    const uid = uidAt(time);
    expect((await postEvent(relay.url, withUid(body(time), uid))).json.status).toBe('accepted');
    return waitFor(uid);
  }

  const event = (type: string, fields: object) => (time: number) => ({
    time,
    type,
    realmId: 'shop',
    ipAddress: null,
    error: null,
    details: {},
    ...fields,
  });
  const admin = (resourceType: string, operationType: string, resourcePath: string) => (time: number) => ({
    time,
    realmId: 'shop',
    authDetails: null,
    resourceType,
    operationType,
    resourcePath,
    representation: null,
    error: null,
  });

  it('revokes the tokens of a logged-out session, and only those issued up to the logout', async () => {
    const sid = randomUUID();
    const sub = randomUUID();
    const m = await publish(event('LOGOUT', { clientId: 'web', userId: sub, sessionId: sid }));
    expect(await client.isRevoked({ sub, sid, azp: 'web', iat: m.notBefore - 1 })).toBe(true);
    expect(await client.isRevoked({ sub, sid, azp: 'web', iat: m.notBefore })).toBe(false);
    expect(await client.isRevoked({ sub, sid: randomUUID(), azp: 'web', iat: m.notBefore - 1 })).toBe(false);
    expect(await client.isRevoked({ realmId: 'other', sub, sid, iat: m.notBefore - 1 })).toBe(false);
  });

  it('keeps a revocation REVOCATION_TTL past its notBefore, and keeps the latest notBefore', async () => {
    const sub = randomUUID();
    const first = await publish(admin('USER', 'ACTION', `users/${sub}/logout`));
    const key = revocationKey(prefix, { realmId: 'shop', scope: `user:${sub}`, notBefore: 0 });
    const ttl = await redis.pttl(key);
    expect(Math.abs(first.notBefore * 1000 + 86_400_000 - Date.now() - ttl)).toBeLessThan(5_000);
    // An older event arriving late (the emitter resends out of order) does not move notBefore back.
    await publish(admin('USER', 'DELETE', `users/${sub}`), Date.now() - 60_000);
    expect(Number(await redis.get(key))).toBe(first.notBefore);
  });

  it('publishes an event older than REVOCATION_TTL but records nothing: its tokens have expired', async () => {
    const sub = randomUUID();
    const m = await publish(admin('USER', 'DELETE', `users/${sub}`), Date.now() - 2 * 86_400_000);
    expect(m).toMatchObject({ kind: 'user', reason: 'user-deleted', userId: sub });
    expect(await redis.exists(revocationKey(prefix, { realmId: 'shop', scope: `user:${sub}`, notBefore: 0 }))).toBe(0);
  });

  it('revokes user-, client- and realm-wide, and a consent for its client only', async () => {
    const sub = randomUUID();
    const clientUuid = randomUUID();
    const consent = await publish(admin('USER', 'ACTION', `users/${sub}/consents/mobile`));
    const iat = consent.notBefore - 1;
    expect(await client.isRevoked({ sub, azp: 'mobile', iat })).toBe(true);
    expect(await client.isRevoked({ sub, azp: 'web', iat })).toBe(false);
    expect(await client.isRevoked({ sub, iat })).toBe(false);

    const push = await publish(admin('CLIENT', 'ACTION', `clients/${clientUuid}/push-revocation`));
    expect(await client.isRevoked({ sub: randomUUID(), azp: 'web', clientUuid, iat: push.notBefore - 1 })).toBe(true);
    expect(await client.isRevoked({ sub: randomUUID(), azp: 'web', iat: push.notBefore - 1 })).toBe(false);

    const all = await publish(admin('REALM', 'ACTION', 'logout-all'));
    expect(await client.isRevoked({ sub: randomUUID(), iat: all.notBefore - 1 })).toBe(true);
    expect(await client.isRevoked({ sub: randomUUID(), iat: all.notBefore })).toBe(false);
  });

  it('tells a node that was cut off during the publish, via isRevoked after its resync', async () => {
    const proxy = new TcpProxy(Number(new URL(redisUrl).port));
    await proxy.start();
    const node = await createLogoutClient({ redis: proxy.url, keyPrefix: prefix, realmId: 'shop' });
    const got: LogoutMessage[] = [];
    let resyncs = 0;
    node
      .on('user', (m) => void got.push(m))
      .on('resync', () => void resyncs++)
      .on('error', () => {});
    try {
      const sub = randomUUID();
      const before = await publish(admin('USER', 'ACTION', `users/${randomUUID()}/logout`));
      await until(() => got.some((m) => m.eventUid === before.eventUid), 5_000, 'heard while connected');

      await proxy.cut();
      const missed = await publish(admin('USER', 'ACTION', `users/${sub}/logout`));
      await proxy.start();
      await until(() => resyncs === 1, 10_000, 'resync after reconnect');

      expect(got.some((m) => m.eventUid === missed.eventUid)).toBe(false);
      expect(await node.isRevoked({ sub, iat: missed.notBefore - 1 })).toBe(true);
      // Subscribed again: the next message arrives.
      const after = await publish(admin('USER', 'ACTION', `users/${randomUUID()}/logout`));
      await until(() => got.some((m) => m.eventUid === after.eventUid), 5_000, 'heard after resync');
    } finally {
      await node.close();
      await proxy.cut();
    }
  });
});

it('counts published messages by kind and reason, and their latency from receipt', async () => {
  await barrier();
  const text = await (await request(`${relay.url}/metrics`)).body.text();
  expect(text).toMatch(/kcr_logout_published_total\{kind="session",reason="logout"\} [1-9]/);
  expect(text).toMatch(/kcr_logout_publish_latency_seconds_count\{kind="session"\} [1-9]/);
  expect(text).toMatch(/kcr_logout_lag 0/);
});
