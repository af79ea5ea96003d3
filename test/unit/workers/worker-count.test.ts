// WORKERS as a number of processes: auto follows the cores (at most 64), and on the embedded store
// it is one process, said at start.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { workerCount } from '../../../src/workers/worker-count.js';

const redis = { REDIS_URL: 'redis://h:6379', REDIS_CLUSTER_NODES: undefined };
const embedded = { REDIS_URL: undefined, REDIS_CLUSTER_NODES: undefined };

it('takes an explicit count as it is, without a note', () => {
  expect(workerCount({ ...redis, WORKERS: 3 }, 2)).toEqual({ count: 3, note: null });
  expect(workerCount({ ...embedded, WORKERS: 1 }, 8)).toEqual({ count: 1, note: null });
});

it('reads auto as the available cores on Redis, 1 to 64, and says so', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 512 }), (cores) => {
      const { count, note } = workerCount({ ...redis, WORKERS: 'auto' }, cores);
      expect(count).toBe(Math.min(cores, 64));
      expect(note).toContain(`${count} relay processes for ${cores} available cores`);
    }),
  );
  expect(workerCount({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: ['a:1'], WORKERS: 'auto' }, 4).count).toBe(4);
});

it('runs one process for auto on the embedded store, and says why', () => {
  const { count, note } = workerCount({ ...embedded, WORKERS: 'auto' }, 16);
  expect(count).toBe(1);
  expect(note).toMatch(/embedded store runs in one process/);
});
