import { defineConfig } from 'vitest/config';

// The unit layer (`npm run test:unit`): test/unit mirrors src/ and tests its pure parts in seconds,
// with no server (no global setup) and no build. `npm test` (vitest.config.ts) runs them too.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    testTimeout: 10_000,
  },
});
