// A replica's look for replay and redrive jobs to take over (src/forward/replay.ts) against a store
// that answers slowly: the store hands a replica back a job of its own name that it does not run,
// so looks that overlapped took one job several times and ran it as often. Real Redis store.
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { ReplayJobs } from '../../src/forward/replay.js';
import { createStore } from '../../src/store/create-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { uniquePrefix } from '../support/relay.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

it('takes a lapsed job over once, even when each look waits longer for the store than the pause between looks', async () => {
  const config = loadConfig({ AUTH_SECRET: 'replay-takeover-0123', REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() });
  const { store } = await createStore(config);
  cleanup.push(() => store.close());
  const counts = { scanned: 0, matched: 0, delivered: 0, deadLettered: 0 };
  const data = {
    status: {
      id: 'job-1',
      kind: 'replay',
      destination: 'gone',
      state: 'running',
      total: 0,
      ...counts,
      startedAt: new Date().toISOString(),
      replica: 'replica-a',
      resumed: 0,
    },
    range: { from: null, to: null },
    checkpoint: { cursor: null, ...counts },
  };
  // Held by this replica's name before a restart, lease lapsed: the first look takes it back.
  await store.createJob({ id: 'job-1', data: JSON.stringify(data) }, 'replica-a', Date.now() - 1);

  // Each look's answer arrives 400 ms after the store took the claim (a loaded Redis, a slow link),
  // while looks are due every 100 ms (a third of the lease).
  const taken: string[] = [];
  const slow = new Proxy(store, {
    get(target, key) {
      if (key === 'claimJob') {
        return async (...args: Parameters<EventStore['claimJob']>) => {
          const record = await target.claimJob(...args);
          await sleep(400);
          if (record) taken.push(record.id);
          return record;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const jobs = new ReplayJobs({ store: slow, worker: () => undefined, owner: 'replica-a', leaseMs: 300, log: pino({ level: 'silent' }) });
  jobs.start();
  cleanup.push(() => jobs.stop());
  await sleep(1_500);

  expect(taken).toEqual(['job-1']);
  const finished = JSON.parse((await store.getJob('job-1')) ?? '{}') as { status: { state: string; resumed: number; error?: string } };
  expect(finished.status).toMatchObject({ state: 'failed', resumed: 1 });
  expect(finished.status.error).toContain('not configured on replica replica-a');
});
