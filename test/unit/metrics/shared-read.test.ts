// The gauges of one scrape share one store read (src/metrics/shared-read.ts): a scrape of ten
// destinations' gauges must not ask Redis forty times, and a later scrape must see fresh numbers.
import { expect, it } from 'vitest';
import { GroupStates } from '../../../src/metrics/group-states.js';
import { sharedRead } from '../../../src/metrics/shared-read.js';
import type { GroupState } from '../../../src/store/event-store.js';

it('serves every caller within maxAgeMs from one read, and reads again after it', async () => {
  let clock = 1_000;
  let reads = 0;
  const read = sharedRead(
    async () => ++reads,
    500,
    () => clock,
  );
  expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
  clock += 499;
  expect(await read()).toBe(1);
  clock += 1;
  expect(await read()).toBe(2);
  expect(reads).toBe(2);
});

it('reads each group once per scrape, and answers null for a group the store cannot read', async () => {
  let clock = 0;
  const asked: string[] = [];
  const store = {
    groupState: async (group: string): Promise<GroupState> => {
      asked.push(group);
      if (group === 'broken') throw new Error('store unreachable');
      return { group, pending: 1, lag: 2, deadLetters: 3, partitionLag: [2] };
    },
  };
  const states = new GroupStates(store, 500, () => clock);
  const first = await states.getAll(['audit', 'siem', 'broken']);
  await states.getAll(['audit', 'siem', 'broken']);
  expect(asked).toEqual(['audit', 'siem', 'broken']);
  expect(first.get('audit')).toMatchObject({ lag: 2 });
  expect(first.get('broken')).toBeNull();
  clock = 500;
  await states.get('audit');
  expect(asked).toEqual(['audit', 'siem', 'broken', 'audit']);
});
