// The metrics of a replica run as several processes (WORKERS), merged by the supervisor: counters
// summed and never going backwards when a process dies, store gauges never summed.
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { GroupMetrics } from '../../src/metrics/group-metrics.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { startRelay, type Relay } from '../support/relay.js';

const valueOf = async (registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

/** One relay process's metrics, with its store gauges reading `buffer` and `ready`. */
function processMetrics(buffer: number, ready: boolean): Metrics {
  return new Metrics({
    bufferLength: async () => buffer,
    bufferCapacity: 1_000,
    bufferBytes: async () => buffer * 100,
    bufferMaxBytes: 1 << 20,
    ready: async () => ready,
    replication: async () => ({ primaries: 1, minReplicas: buffer % 3, maxLagBytes: buffer * 10, maxLagSeconds: 0 }),
  });
}

it('sums counters and histograms, and reads store gauges as one value (max, or min for readiness)', async () => {
  const a = processMetrics(40, true);
  const b = processMetrics(42, false);
  a.ingest.inc({ outcome: 'accepted' }, 3);
  b.ingest.inc({ outcome: 'accepted' }, 4);
  b.ingest.inc({ outcome: 'duplicate' });
  a.ingestDuration.observe({ outcome: 'accepted' }, 0.003);
  b.ingestDuration.observe({ outcome: 'accepted' }, 0.2);
  const group = new GroupMetrics();
  group.record(0, await a.registry.getMetricsAsJSON());
  group.record(1, await b.registry.getMetricsAsJSON());
  const merged = await group.merge();
  expect(await valueOf(merged, 'kcr_ingest_requests_total', { outcome: 'accepted' })).toBe(7);
  expect(await valueOf(merged, 'kcr_ingest_requests_total', { outcome: 'duplicate' })).toBe(1);
  const text = await merged.metrics();
  expect(text).toMatch(/^kcr_ingest_duration_seconds_count\{outcome="accepted"\} 2$/m);
  expect(text).toMatch(/^kcr_ingest_duration_seconds_bucket\{le="0.005",outcome="accepted"\} 1$/m);
  expect(await valueOf(merged, 'kcr_buffer_length')).toBe(42);
  expect(await valueOf(merged, 'kcr_buffer_capacity')).toBe(1_000);
  expect(await valueOf(merged, 'kcr_buffer_bytes')).toBe(4_200);
  expect(await valueOf(merged, 'kcr_buffer_max_bytes')).toBe(1 << 20);
  expect(await valueOf(merged, 'kcr_ready')).toBe(0);
  expect(await valueOf(merged, 'kcr_redis_replicas')).toBe(0);
  expect(await valueOf(merged, 'kcr_redis_replication_lag_bytes')).toBe(420);
});

it('adds the supervisor own metrics', async () => {
  const own = new Registry();
  new Counter({ name: 'kcr_worker_restarts_total', help: 'restarts', registers: [own] }).inc(2);
  const group = new GroupMetrics(own);
  group.record(0, await processMetrics(1, true).registry.getMetricsAsJSON());
  expect(await valueOf(await group.merge(), 'kcr_worker_restarts_total')).toBe(2);
});

// A model of processes counting, being read, dying and being replaced: whatever the order, a
// merged counter never decreases, never exceeds what was counted, and equals it while nobody died.
type Step = { op: 'count'; slot: number; n: number } | { op: 'read'; slot: number } | { op: 'die'; slot: number } | { op: 'merge' };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('count' as const), slot: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ op: fc.constant('read' as const), slot: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant('die' as const), slot: fc.integer({ min: 0, max: 2 }) }),
  fc.constant({ op: 'merge' as const }),
);

function countingProcess(): { registry: Registry; counter: Counter; histogram: Histogram } {
  const registry = new Registry();
  const counter = new Counter({ name: 'kcr_c_total', help: 'c', labelNames: ['outcome'], registers: [registry] });
  const histogram = new Histogram({ name: 'kcr_h_seconds', help: 'h', buckets: [1], registers: [registry] });
  return { registry, counter, histogram };
}

it('never lets a merged counter or histogram go backwards when processes die and are replaced', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
      const group = new GroupMetrics();
      const processes = [countingProcess(), countingProcess(), countingProcess()];
      const live = [0, 0, 0];
      let counted = 0;
      let deaths = 0;
      let previous = 0;
      let previousObservations = 0;
      for (const s of [...steps, { op: 'read', slot: 0 }, { op: 'read', slot: 1 }, { op: 'read', slot: 2 }, { op: 'merge' }] as Step[]) {
        if (s.op === 'count') {
          processes[s.slot]!.counter.inc({ outcome: 'accepted' }, s.n);
          processes[s.slot]!.histogram.observe(0.5);
          live[s.slot]! += s.n;
          counted += s.n;
        } else if (s.op === 'read') {
          group.record(s.slot, await processes[s.slot]!.registry.getMetricsAsJSON());
        } else if (s.op === 'die') {
          group.retire(s.slot);
          processes[s.slot] = countingProcess();
          live[s.slot] = 0;
          deaths += 1;
        } else {
          const merged = await group.merge();
          const value = (await valueOf(merged, 'kcr_c_total', { outcome: 'accepted' })) ?? 0;
          const observations = (await merged.getMetricsAsJSON())
            .find((m) => m.name === 'kcr_h_seconds')
            ?.values.find((v) => (v as { metricName?: string }).metricName === 'kcr_h_seconds_count')?.value;
          expect(value).toBeGreaterThanOrEqual(previous);
          expect(value).toBeLessThanOrEqual(counted);
          expect(observations ?? 0).toBeGreaterThanOrEqual(previousObservations);
          previous = value;
          previousObservations = observations ?? 0;
        }
      }
      // The last merge read every live process after its last count.
      if (deaths === 0) expect(previous).toBe(counted);
      else expect(previous).toBeGreaterThanOrEqual(live.reduce((a, b) => a + b, 0));
    }),
    { numRuns: 150 },
  );
});

// Every gauge of the relay reads the shared store or a per-process state that adding up would
// misreport: each declares how processes merge. A new gauge without one fails here.
let relay: Relay;
beforeAll(async () => {
  relay = await startRelay(
    {
      REDIS_URL: inject('redisUrl'),
      DESTINATIONS: JSON.stringify([{ name: 'd', url: 'http://127.0.0.1:9/' }]),
      // A catch-up source (nothing answers there): its gauge exists only with one.
      KEYCLOAK_SOURCES: JSON.stringify([{ baseUrl: 'http://127.0.0.1:9', realm: 'r', clientId: 'c', clientSecret: 's' }]),
    },
    { logout: true },
  );
});
afterAll(() => relay.close());

it('declares a merge other than a sum for every kcr_ gauge', async () => {
  const gauges = (await relay.metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('kcr_') && String(m.type) === 'gauge');
  expect(gauges.length).toBeGreaterThanOrEqual(10);
  expect(gauges.map((m) => m.name)).toContain('kcr_source_lag_seconds');
  expect(gauges.filter((m) => m.aggregator === 'sum').map((m) => m.name)).toEqual([]);
});
