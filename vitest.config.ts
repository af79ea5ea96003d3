import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The container tests need a Docker engine: `npm run test:container` (vitest.container.config.ts).
    exclude: [...configDefaults.exclude, 'test/container/**'],
    globalSetup: ['test/support/global-redis.ts', 'test/support/global-services.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Two cores here: files run in parallel, but the Redis-backed ones isolate themselves by key prefix.
    pool: 'forks',
  },
});
