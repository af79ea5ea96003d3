// The metrics of a replica run as several processes (WORKERS), merged by the supervisor: each
// metric by its `aggregator` (prom-client's AggregatorRegistry: counters and histograms summed;
// gauges read from the shared store declare `max` or `min`, since every process reads the same value).
// A process that dies takes its counts with it, so a plain sum would drop, and Prometheus would read
// that as a counter reset (a spike in every rate()). So the supervisor keeps each live process's
// latest read, and adds the counters and histograms of exited processes, as last read, to every
// later merge: the sums never go backwards (what a process counted after its last read and before
// dying is lost to the metrics, never to the store). A slot's reads must arrive in the order they
// were taken: the supervisor runs one merge at a time.
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];
type Value = MetricValue<string> & { metricName?: string };

function seriesKey(value: Value, name: string): string {
  const labels = Object.entries(value.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${value.metricName ?? name}${JSON.stringify(labels)}`;
}

/** `into` plus the counters and histograms of `add`, series by series (a new array; neither is changed). */
export function addCumulative(into: MetricsJson, add: MetricsJson): MetricsJson {
  const out = new Map(into.map((m) => [m.name, { ...m, values: m.values.map((v) => ({ ...v })) }]));
  for (const metric of add) {
    // Typed as an enum by prom-client, the JSON holds the type's name.
    const type = metric.type as unknown as string;
    if (type !== 'counter' && type !== 'histogram') continue;
    let target = out.get(metric.name);
    if (!target) {
      target = { ...metric, values: [] };
      out.set(metric.name, target);
    }
    const byKey = new Map(target.values.map((v) => [seriesKey(v, metric.name), v]));
    for (const value of metric.values as Value[]) {
      const existing = byKey.get(seriesKey(value, metric.name));
      if (existing) existing.value += value.value;
      else target.values.push({ ...value });
    }
  }
  return [...out.values()] as MetricsJson;
}

export class GroupMetrics {
  private readonly latest = new Map<number, MetricsJson>();
  private retired: MetricsJson = [];

  /** `own`: the supervisor's own metrics (its restarts), merged in too. */
  constructor(private readonly own?: Registry) {}

  /** A live process's metrics, just read. */
  record(slot: number, metrics: MetricsJson): void {
    this.latest.set(slot, metrics);
  }

  /** The process of `slot` exited: its counters and histograms, as last read, stay in every later merge. */
  retire(slot: number): void {
    const last = this.latest.get(slot);
    this.latest.delete(slot);
    if (last) this.retired = addCumulative(this.retired, last);
  }

  /** The replica's metrics: every live process's latest read, plus what exited ones counted. */
  async merge(): Promise<Registry> {
    const own = this.own ? [await this.own.getMetricsAsJSON()] : [];
    return AggregatorRegistry.aggregate([this.retired, ...this.latest.values(), ...own]);
  }
}
