// The stream consumer over a real Redis store: an outage that swallows acknowledgements must not
// hand out again what this process already delivered. The store is real; only its `ack` is made to
// fail for a while, as a Redis pause would make it fail.
import { pino } from 'pino';
import { afterEach, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { StreamConsumer } from '../../src/consume/stream-consumer.js';
import { KCR_ERR_STORE_UNAVAILABLE } from '../../src/errors.js';
import { createStore } from '../../src/store/create-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { canonicalEvent } from '../support/canonical.js';
import { uniquePrefix } from '../support/relay.js';
import { until } from '../support/sink.js';

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** A real store whose acknowledgements fail while `acksFail` is set. */
async function storeWithFailingAcks(): Promise<{ store: EventStore; faults: { acksFail: boolean; failedAcks: number } }> {
  const { store } = await createStore(
    loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() }),
  );
  opened.push(store);
  const faults = { acksFail: false, failedAcks: 0 };
  const flaky = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'ack' && faults.acksFail) {
        return async () => {
          faults.failedAcks += 1;
          throw KCR_ERR_STORE_UNAVAILABLE('paused for the test');
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: flaky, faults };
}

it('does not hand out again entries whose acknowledgement an outage delayed; acknowledges them once it ends', async () => {
  const { store, faults } = await storeWithFailingAcks();
  let acknowledged = 0;
  const consumer = new StreamConsumer({
    store,
    group: 'audit',
    startFrom: 'start',
    consumer: 'c1',
    claimIdleMs: 60_000,
    blockMs: 0,
    batchSize: 10,
    log: pino({ level: 'silent' }),
    onAcknowledged: (n) => (acknowledged += n),
  });
  opened.push({ close: () => consumer.stop() });
  expect(await consumer.start()).toBe(true);
  for (let i = 0; i < 5; i++) await store.append(canonicalEvent(), Date.now());

  const delivered = await consumer.fetch();
  expect(delivered).toHaveLength(5);
  faults.acksFail = true;
  for (const entry of delivered) consumer.ack(entry.id);
  await until(() => faults.failedAcks >= 1, 2_000, 'an acknowledgement failed');
  // The failure makes the consumer resume its own pending entries: the five are still pending in
  // the store, but this process delivered them.
  expect(await consumer.fetch()).toEqual([]);

  faults.acksFail = false;
  await until(() => acknowledged === 5, 5_000, 'acknowledged once the outage ended');
  expect(await store.groupState('audit')).toMatchObject({ pending: 0, lag: 0 });
  expect(await consumer.fetch()).toEqual([]);
});
