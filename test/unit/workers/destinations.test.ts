// The replica's view of its destinations with WORKERS: every process's describe() merged, the worst
// circuit and connection of any process shown, and the latest failure; never a state no process had.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { DestinationInfo } from '../../../src/metrics/summary.js';
import { mergeDestinations } from '../../../src/workers/destinations.js';

const CIRCUITS = ['closed', 'half-open', 'open'] as const;
const STATES = ['idle', 'up', 'connecting', 'down'] as const;

const info = (name: string, over: Partial<DestinationInfo> = {}): DestinationInfo => ({
  name,
  type: 'webhook',
  url: `http://127.0.0.1/${name}`,
  circuit: 'closed',
  connection: { state: 'up', since: '2026-12-06T10:00:00.000Z' },
  lastFailure: null,
  ...over,
});

it('shows an open circuit and a lost connection of one process, with its reason, and the latest failure', () => {
  const down = { state: 'down' as const, since: '2026-12-06T10:05:00.000Z', error: 'ECONNREFUSED' };
  const merged = mergeDestinations([
    [info('a', { lastFailure: { error: 'HTTP 500', at: '2026-12-06T10:01:00.000Z' } }), info('b')],
    [
      info('a', { circuit: 'open', connection: down, lastFailure: { error: 'ECONNREFUSED', at: '2026-12-06T10:05:00.000Z' } }),
      info('b', { connection: { state: 'idle', since: '2026-12-06T09:00:00.000Z' } }),
    ],
  ]);
  expect(merged).toEqual([
    info('a', { circuit: 'open', connection: down, lastFailure: { error: 'ECONNREFUSED', at: '2026-12-06T10:05:00.000Z' } }),
    // A process that has not written yet says nothing against one that is up.
    info('b'),
  ]);
});

it('gives, per destination, the worst circuit and connection any process has, and the newest failure', () => {
  const one = fc.record({
    circuit: fc.constantFrom(...CIRCUITS),
    state: fc.constantFrom(...STATES),
    failedAt: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: null }),
  });
  fc.assert(
    fc.property(fc.array(fc.array(one, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }), (processes) => {
      const perProcess = processes.map((dests, p) =>
        dests.map((d, i) =>
          info(`d${i}`, {
            circuit: d.circuit,
            connection: { state: d.state, since: new Date(p * 1000).toISOString() },
            lastFailure: d.failedAt === null ? null : { error: `p${p}`, at: new Date(d.failedAt).toISOString() },
          }),
        ),
      );
      const merged = mergeDestinations(perProcess);
      expect(merged.map((m) => m.name)).toEqual(['d0', 'd1']);
      merged.forEach((m, i) => {
        const all = processes.map((dests) => dests[i]!);
        expect(CIRCUITS.indexOf(m.circuit)).toBe(Math.max(...all.map((d) => CIRCUITS.indexOf(d.circuit))));
        expect(STATES.indexOf(m.connection.state)).toBe(Math.max(...all.map((d) => STATES.indexOf(d.state))));
        // The connection shown is one a process reported, whole (its since and reason with it).
        expect(perProcess.map((dests) => dests[i]!.connection)).toContainEqual(m.connection);
        const failures = all.map((d) => d.failedAt).filter((t): t is number => t !== null);
        expect(m.lastFailure === null ? null : Date.parse(m.lastFailure.at)).toBe(failures.length ? Math.max(...failures) : null);
      });
    }),
  );
});
