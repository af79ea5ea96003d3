// `npm run test:container` (scripts/container/test.sh): the image and docker-compose.yml under a real
// Docker engine. Not part of `npm test`, which needs no engine; .ci/run runs both.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/container/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One file at a time: each starts containers, and the machine has two cores.
    fileParallelism: false,
  },
});
