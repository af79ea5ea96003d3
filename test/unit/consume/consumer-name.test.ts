// A replica's consumer name: stable across restarts, distinct per replica and (WORKERS) per process.
import { expect, it } from 'vitest';
import { consumerName } from '../../../src/consume/consumer-name.js';

it('keeps the replica name for process 0 and gives every other process its own', () => {
  expect(consumerName(3, 'pod-a')).toBe('pod-a-w3');
  expect(consumerName(3, 'pod-a', 0)).toBe('pod-a-w3');
  const names = Array.from({ length: 64 }, (_, i) => consumerName(3, 'pod-a', i));
  expect(new Set(names).size).toBe(64);
  expect(consumerName(3, 'pod-a', 1)).not.toBe(consumerName(31, 'pod-a', 0));
});
