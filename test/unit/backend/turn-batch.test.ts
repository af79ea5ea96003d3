// The one "collect for this event-loop turn, then flush" helper (src/backend/turn-batch.ts) behind
// the Redis append, the embedded group commit and the ack batcher. Pure: no servers.
import { describe, expect, it } from 'vitest';
import { TurnBatch, TurnCalls, type Settled } from '../../../src/backend/turn-batch.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const ms = (n: number) => new Promise((resolve) => setTimeout(resolve, n));

describe('TurnBatch', () => {
  it('sends what one turn added as one batch at its end, and the next turn as another', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number>((items) => sent.push(items));
    batch.add(1);
    batch.add(2);
    expect(sent).toEqual([]);
    await nextTurn();
    batch.add(3);
    await nextTurn();
    expect(sent).toEqual([[1, 2], [3]]);
  });

  it('sends at once when the batch reaches its item or weight bound, without a second send at the end of the turn', async () => {
    const sent: string[][] = [];
    const batch = new TurnBatch<string>((items) => sent.push(items), { maxItems: 3, maxWeight: 10 });
    for (const item of ['a', 'b', 'c', 'd']) batch.add(item, 1);
    expect(sent).toEqual([['a', 'b', 'c']]);
    batch.add('heavy', 9);
    expect(sent).toEqual([
      ['a', 'b', 'c'],
      ['d', 'heavy'],
    ]);
    await nextTurn();
    expect(sent).toHaveLength(2);
  });

  it('waits delayMs instead of the end of the turn when given, and flush() sends at once', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number>((items) => sent.push(items), { delayMs: 30 });
    batch.add(1);
    await nextTurn();
    expect(sent).toEqual([]);
    await ms(60);
    expect(sent).toEqual([[1]]);
    batch.add(2);
    batch.flush();
    batch.flush();
    expect(sent).toEqual([[1], [2]]);
    await ms(60);
    expect(sent).toHaveLength(2);
  });
});

describe('TurnCalls', () => {
  it('gives each caller of a batch its own result or its own error', async () => {
    const batches: number[][] = [];
    const calls = new TurnCalls<number, number>((inputs) => {
      batches.push(inputs);
      return inputs.map((n): Settled<number> => (n < 0 ? { ok: false, error: new Error(`negative ${n}`) } : { ok: true, value: n * 2 }));
    });
    const results = await Promise.allSettled([calls.run(1), calls.run(-1), calls.run(3)]);
    expect(batches).toEqual([[1, -1, 3]]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('negative -1') },
      { status: 'fulfilled', value: 6 },
    ]);
  });

  it('fails every call of the batch with the error of a send that throws or rejects, and the next batch goes on', async () => {
    let fail: 'throw' | 'reject' | null = 'throw';
    const calls = new TurnCalls<string, string>(async (inputs) => {
      if (fail === 'reject') throw new Error('unreachable');
      return inputs.map((value) => ({ ok: true, value }));
    });
    const throwing = new TurnCalls<string, string>(() => {
      throw new Error('disk full');
    });
    await expect(Promise.allSettled([throwing.run('a'), throwing.run('b')])).resolves.toEqual([
      { status: 'rejected', reason: new Error('disk full') },
      { status: 'rejected', reason: new Error('disk full') },
    ]);
    fail = 'reject';
    await expect(Promise.allSettled([calls.run('a'), calls.run('b')])).resolves.toEqual([
      { status: 'rejected', reason: new Error('unreachable') },
      { status: 'rejected', reason: new Error('unreachable') },
    ]);
    fail = null;
    await expect(calls.run('c')).resolves.toBe('c');
  });

  it('rejects the calls a send left without a result', async () => {
    const calls = new TurnCalls<number, number>((inputs) => inputs.slice(1).map((value) => ({ ok: true, value })));
    const results = await Promise.allSettled([calls.run(1), calls.run(2)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
  });

  it('sends within flush(), before it returns: what closing a database needs', async () => {
    const sent: number[][] = [];
    const calls = new TurnCalls<number, number>((inputs) => (sent.push(inputs), inputs.map((value) => ({ ok: true, value }))));
    const running = calls.run(7);
    expect(sent).toEqual([]);
    calls.flush();
    expect(sent).toEqual([[7]]);
    await expect(running).resolves.toBe(7);
  });
});
