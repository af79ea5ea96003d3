// Redis event stores for the Redis-only store tests: opened through createStore under a KEY_PREFIX
// the test chooses, on the run's Redis, and closed after each test; `redis` reads their keys directly.
import { Redis } from 'ioredis';
import { afterAll, afterEach, inject } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createStore } from '../../src/store/create-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import type { Tagging } from '../../src/store/tags.js';

export function redisStores(defaults: Record<string, string> = {}) {
  const redisUrl = inject('redisUrl');
  const redis = new Redis(redisUrl);
  const opened: EventStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  afterAll(() => redis.disconnect());

  async function open(prefix: string, settings: Record<string, string> = {}, tagging?: Tagging): Promise<EventStore> {
    const { store } = await createStore(
      loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: redisUrl, KEY_PREFIX: prefix, ...defaults, ...settings }),
      undefined,
      tagging,
    );
    opened.push(store);
    return store;
  }
  return { redis, redisUrl, open };
}
