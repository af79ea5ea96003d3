// The publisher as a consumer of the ring buffer: retries a failing bus without losing or
// reordering, takes over what a dead replica left pending, and outlives a Redis restart that took
// the stream and its consumer group with it.
import { Redis } from 'ioredis';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import type { LogoutBus } from '../../src/logout/bus.js';
import type { LogoutMessage } from '../../src/logout/message.js';
import { LogoutMetrics } from '../../src/logout/metrics.js';
import { LogoutPublisher } from '../../src/logout/publisher.js';
import { createStore } from '../../src/store/create-store.js';
import { LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS } from '../../src/logout/group.js';
import { type EventStore } from '../../src/store/event-store.js';
import { canonicalEvent } from '../support/canonical.js';
import { postEvent } from '../support/http.js';
import { jsonBody, ROWS, type LogoutCase } from '../support/logout-cases.js';
import { freshUid } from '../support/payloads.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { SECRET, startRelay, uniquePrefix } from '../support/relay.js';
import { until } from '../support/sink.js';

const log = createLogger({ LOG_LEVEL: 'silent' });
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

/** A bus that records what it was given and fails the first `failures` calls. */
class RecordingBus implements Pick<LogoutBus, 'publish'> {
  readonly published: LogoutMessage[] = [];
  constructor(private failures = 0) {}
  async publish(messages: readonly LogoutMessage[]): Promise<void> {
    if (this.failures-- > 0) throw new Error('bus unreachable');
    this.published.push(...messages);
  }
}

async function openStore(url: string): Promise<EventStore> {
  const config = loadConfig({ AUTH_SECRET: SECRET, REDIS_URL: url, KEY_PREFIX: uniquePrefix() });
  const { store } = await createStore(config);
  stops.push(() => store.close());
  return store;
}

function startPublisher(store: EventStore, bus: Pick<LogoutBus, 'publish'>, options: { consumer?: string; claimIdleMs?: number } = {}) {
  let id = 1n;
  const registry = new Registry();
  const lost = new Counter({ name: 'kcr_buffer_lost_total', help: 'lost', labelNames: ['destination'] as const, registers: [registry] });
  const metrics = new LogoutMetrics(registry, lost, async () => null);
  const publisher = new LogoutPublisher({ store, bus, metrics, log, nextId: () => id++, blockMs: 100, consumer: 'c1', ...options });
  publisher.start();
  stops.push(() => publisher.stop());
  return { publisher, metrics };
}

const logout = (sessionId: string) => canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId });

it('retries a failing bus with backoff, in order, and acknowledges only what was published', async () => {
  const store = await openStore(inject('redisUrl'));
  const bus = new RecordingBus(3);
  for (const sid of ['s1', 's2', 's3']) await store.append(logout(sid), Date.now());
  const { metrics } = startPublisher(store, bus);
  await until(() => bus.published.length === 3, 10_000, 'published after retries');
  expect(bus.published.map((m) => m.sessionId)).toEqual(['s1', 's2', 's3']);
  expect((await metrics.failures.get()).values[0]?.value).toBe(3);
  await until(async () => (await store.groupState(LOGOUT_GROUP)).pending === 0, 5_000, 'acknowledged');
  // A retried publish draws a fresh id: ids stay unique even though s1 was attempted four times.
  expect(new Set(bus.published.map((m) => m.id)).size).toBe(3);
});

it('takes over the entries a dead replica left pending', async () => {
  const store = await openStore(inject('redisUrl'));
  await store.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
  await store.append(logout('orphan'), Date.now());
  // A replica read it, then died before publishing.
  expect(await store.readNew(LOGOUT_GROUP, 'dead-replica', 10, 0)).toHaveLength(1);
  const bus = new RecordingBus();
  startPublisher(store, bus, { consumer: 'live-replica', claimIdleMs: 300 });
  await until(() => bus.published.some((m) => m.sessionId === 'orphan'), 10_000, 'orphan published');
  expect(bus.published).toHaveLength(1);
});

it('acknowledges events that end nothing without publishing', async () => {
  const store = await openStore(inject('redisUrl'));
  const bus = new RecordingBus();
  await store.append(canonicalEvent(Date.now(), { type: 'LOGIN' }), Date.now());
  await store.append(logout('after-login'), Date.now());
  startPublisher(store, bus);
  await until(() => bus.published.length === 1, 10_000, 'published');
  await until(async () => (await store.groupState(LOGOUT_GROUP)).pending === 0, 5_000, 'both acknowledged');
});

describe('across a Redis restart', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startTestRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('keeps publishing across a Redis restart that lost the stream and its group', async () => {
    const relay = await startRelay({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT: '500ms' }, { logout: true });
    stops.push(() => relay.close());
    const heard: string[] = [];
    const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
    subscriber.on('error', () => {});
    subscriber.on('message', (_c: string, text: string) => heard.push((JSON.parse(text) as LogoutMessage).eventUid));
    stops.push(async () => subscriber.disconnect());
    await subscriber.subscribe(`${relay.config.KEY_PREFIX}logout`);

    const post = async () => {
      const uid = freshUid();
      const answer = await postEvent(relay.url, jsonBody(ROWS[0] as LogoutCase, uid, Date.now()));
      return { uid, status: answer.json?.status as string | undefined };
    };
    const first = await post();
    await until(() => heard.includes(first.uid), 10_000, 'first published');

    await redis.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.start();

    let after = { uid: '', status: undefined as string | undefined };
    await until(async () => (after = await post()).status === 'accepted', 15_000, 'ingest back');
    await until(() => heard.includes(after.uid), 15_000, 'published after the restart');
  });
});
