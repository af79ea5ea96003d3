// Acknowledgements go out in batches: by size at once, else after a short delay, in order, with
// how many of them the consumer counts.
import { describe, expect, it } from 'vitest';
import { AckBatcher } from '../../../src/consume/ack-batcher.js';

function recorder(delayMs = 0) {
  const batches: Array<{ ids: string[]; counted: number }> = [];
  const acknowledge = async (ids: string[], counted: number) => {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    batches.push({ ids, counted });
  };
  return { batches, acknowledge };
}

describe('AckBatcher', () => {
  it('sends a full batch at once, the rest after the delay', async () => {
    const { batches, acknowledge } = recorder();
    const acks = new AckBatcher(acknowledge, 3, 20);
    for (const id of ['1', '2', '3', '4']) acks.add(id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([{ ids: ['1', '2', '3'], counted: 3 }]);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(batches).toEqual([
      { ids: ['1', '2', '3'], counted: 3 },
      { ids: ['4'], counted: 1 },
    ]);
  });

  it('counts only the acknowledgements asked to be counted', async () => {
    const { batches, acknowledge } = recorder();
    const acks = new AckBatcher(acknowledge, 64, 1_000);
    acks.add('1', true);
    acks.add('2', false);
    acks.add('3');
    await acks.flush();
    expect(batches).toEqual([{ ids: ['1', '2', '3'], counted: 2 }]);
  });

  it('flush resolves once every batch queued so far is acknowledged, in order', async () => {
    const { batches, acknowledge } = recorder(15);
    const acks = new AckBatcher(acknowledge, 2, 1_000);
    for (const id of ['a', 'b', 'c', 'd', 'e']) acks.add(id);
    await acks.flush();
    expect(batches.map((b) => b.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('sends nothing when nothing is queued', async () => {
    const { batches, acknowledge } = recorder();
    const acks = new AckBatcher(acknowledge);
    await acks.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batches).toEqual([]);
  });
});
