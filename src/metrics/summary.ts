// What the status page shows (GET /admin/summary), read from the metrics registry in one pass: the
// same numbers a scrape gives, so the page and the dashboards never disagree, and the store gauges'
// reads are shared with scrapes (GroupStates) instead of repeated per destination and per metric.
// With WORKERS above 1 the metrics read are the replica's, merged (src/metrics/group-metrics.ts).
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { SourceStatus } from '../sources/keycloak/catch-up.js';
import type { MetricsJson } from './group-metrics.js';

/** What the forwarder says of a destination beside the metrics: its link and its last failure. */
export interface DestinationInfo {
  name: string;
  /** As src/forward/destination.ts names the types (metrics imports no stage that reports to it). */
  type: 'webhook' | 'amqp' | 'nats' | 'postgres';
  url: string;
  circuit: 'closed' | 'half-open' | 'open';
  connection: { state: 'idle' | 'connecting' | 'up' | 'down'; since: string; error?: string };
  /** The last failed write's reason, until a write succeeds. */
  lastFailure: { error: string; at: string } | null;
}

export interface DestinationSummary extends DestinationInfo {
  lag: number | null;
  pending: number | null;
  deadLetters: number | null;
  delivered: number;
  failed: number;
  retried: number;
  deadLettered: number;
  filtered: number;
}

/** A catch-up source: as the store last showed this replica, and what this replica did with it. */
export interface SourceSummary extends SourceStatus {
  /** Events this replica read back that no sender had delivered (kcr_source_events_total). */
  accepted: number;
  duplicates: number;
  /** This replica's runs by outcome (kcr_source_poll_total). */
  polls: Record<string, number>;
}

export interface Summary {
  time: string;
  startedAt: string;
  /** Cumulative answers of the ingest endpoint by outcome (kcr_ingest_requests_total). */
  ingest: Record<string, number>;
  /** Cumulative answer-time histogram over every outcome: `le` in seconds, counts cumulative. */
  ingestDuration: { buckets: Array<{ le: number; count: number }>; count: number; sum: number };
  late: number;
  buffer: {
    length: number | null;
    capacity: number;
    overflow: string;
    evicted: number;
    lost: number;
    lostByDestination: Record<string, number>;
  };
  destinations: DestinationSummary[];
  logout: { enabled: boolean; lag: number | null; published: number; failures: number };
  sources: SourceSummary[];
}

export interface SummaryDeps {
  /** The metrics, as registry.getMetricsAsJSON() gives them. */
  read: () => Promise<MetricsJson>;
  startedAt: Date;
  buffer: { capacity: number; overflow: string };
  destinations: () => Promise<DestinationInfo[]>;
  logoutEnabled: boolean;
  sources: () => SourceStatus[];
}

type Values = MetricValue<string>[];

function valuesOf(metrics: MetricObjectWithValues<MetricValue<string>>[], name: string): Values {
  return metrics.find((m) => m.name === name)?.values ?? [];
}

const total = (values: Values): number => values.reduce((sum, v) => sum + v.value, 0);

/** Sum by one label's value. */
function byLabel(values: Values, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** A gauge that was never set reads as null (e.g. the store could not answer its first scrape). */
function gaugeOf(values: Values, destination?: string): number | null {
  const found = values.find((v) => destination === undefined || v.labels.destination === destination);
  return found ? found.value : null;
}

function histogram(values: Values, name: string): Summary['ingestDuration'] {
  const buckets = new Map<number, number>();
  let count = 0;
  let sum = 0;
  for (const v of values) {
    const metricName = (v as MetricValue<string> & { metricName?: string }).metricName;
    if (metricName === `${name}_bucket`) {
      const le = v.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels.le);
      buckets.set(le, (buckets.get(le) ?? 0) + v.value);
    } else if (metricName === `${name}_count`) count += v.value;
    else if (metricName === `${name}_sum`) sum += v.value;
  }
  // JSON has no Infinity: the +Inf bucket is `count` itself.
  const finite = [...buckets].filter(([le]) => Number.isFinite(le)).sort(([a], [b]) => a - b);
  return { buckets: finite.map(([le, c]) => ({ le, count: c })), count, sum };
}

export async function summarize(deps: SummaryDeps): Promise<Summary> {
  const [metrics, destinations] = await Promise.all([deps.read(), deps.destinations()]);
  const of = (name: string): Values => valuesOf(metrics, name);
  const perDestination = (name: string) => byLabel(of(name), 'destination');
  const delivered = perDestination('kcr_forward_delivered_total');
  const failed = perDestination('kcr_forward_failed_total');
  const retried = perDestination('kcr_forward_retried_total');
  const deadLettered = perDestination('kcr_forward_dead_lettered_total');
  const filtered = perDestination('kcr_forward_filtered_total');
  const lost = perDestination('kcr_buffer_lost_total');
  const ofSource = (name: string, source: string) => of(name).filter((v) => v.labels.source === source);
  return {
    time: new Date().toISOString(),
    startedAt: deps.startedAt.toISOString(),
    ingest: byLabel(of('kcr_ingest_requests_total'), 'outcome'),
    ingestDuration: histogram(of('kcr_ingest_duration_seconds'), 'kcr_ingest_duration_seconds'),
    late: total(of('kcr_events_late_total')),
    buffer: {
      length: gaugeOf(of('kcr_buffer_length')),
      capacity: deps.buffer.capacity,
      overflow: deps.buffer.overflow,
      evicted: total(of('kcr_buffer_evicted_total')),
      lost: total(of('kcr_buffer_lost_total')),
      lostByDestination: lost,
    },
    destinations: destinations.map((info) => ({
      ...info,
      lag: gaugeOf(of('kcr_forward_lag'), info.name),
      pending: gaugeOf(of('kcr_forward_pending'), info.name),
      deadLetters: gaugeOf(of('kcr_forward_dead_letters'), info.name),
      delivered: delivered[info.name] ?? 0,
      failed: failed[info.name] ?? 0,
      retried: retried[info.name] ?? 0,
      deadLettered: deadLettered[info.name] ?? 0,
      filtered: filtered[info.name] ?? 0,
    })),
    logout: {
      enabled: deps.logoutEnabled,
      lag: gaugeOf(of('kcr_logout_lag')),
      published: total(of('kcr_logout_published_total')),
      failures: total(of('kcr_logout_publish_failures_total')),
    },
    sources: deps.sources().map((status) => {
      const events = byLabel(ofSource('kcr_source_events_total', status.name), 'outcome');
      return {
        ...status,
        accepted: events.accepted ?? 0,
        duplicates: events.duplicate ?? 0,
        polls: byLabel(ofSource('kcr_source_poll_total', status.name), 'outcome'),
      };
    }),
  };
}
