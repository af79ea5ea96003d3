// Prometheus metrics of one relay instance, on a registry of its own (so several instances in one
// process, as in tests, do not collide).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Replication } from '../store/redis/replication.js';

export interface StoreGauges {
  /** Entries in the ring buffer now (read from the store on scrape). */
  bufferLength: () => Promise<number>;
  bufferCapacity: number;
  /** Bytes of event JSON in the ring buffer now (read from the store on scrape). */
  bufferBytes: () => Promise<number>;
  bufferMaxBytes: number;
  /** What /readyz answers: the store reachable and the process not draining. */
  ready: () => Promise<boolean>;
  /** Redis only: how far the replicas lag (undefined for the embedded store). */
  replication: () => Promise<Replication | undefined>;
}

export class Metrics {
  readonly registry = new Registry();

  readonly ingest = new Counter({
    name: 'kcr_ingest_requests_total',
    help: 'Ingest requests by outcome (accepted, duplicate, quarantined, rejected, unauthorized, throttled, unavailable, full, overloaded, too_large, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly ingestDuration = new Histogram({
    name: 'kcr_ingest_duration_seconds',
    help: 'Time from request to answer on the ingest endpoint: what Keycloak login threads wait',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly senderRequests = new Counter({
    name: 'kcr_sender_requests_total',
    help: "Requests of Phase Two's webhooks and SSF pushes, by sender (phasetwo, ssf) and outcome (as kcr_ingest_requests_total)",
    labelNames: ['sender', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly late = new Counter({
    name: 'kcr_events_late_total',
    help: 'Accepted events whose uid is older than DEDUP_WINDOW',
    registers: [this.registry],
  });

  readonly evicted = new Counter({
    name: 'kcr_buffer_evicted_total',
    help: 'Events pushed out of the ring buffer by its bounds (BUFFER_CAPACITY, BUFFER_MAX_BYTES)',
    registers: [this.registry],
  });

  readonly lost = new Counter({
    name: 'kcr_buffer_lost_total',
    help: 'Events pushed out of the ring buffer before a destination had received them',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly quarantineDropped = new Counter({
    name: 'kcr_quarantine_dropped_total',
    help: 'Quarantined bodies dropped, the oldest first, to keep the quarantine within BUFFER_CAPACITY bodies and QUARANTINE_MAX_BYTES',
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'kcr_connections_refused_total',
    help: 'Connections closed at once because their address already held MAX_CONNECTIONS_PER_ADDRESS',
    registers: [this.registry],
  });

  readonly unknownEnums = new Counter({
    name: 'kcr_ingest_unknown_enums_total',
    help: 'FlatBuffer enum bytes stored as UNKNOWN, by sender and field: a constant the emitter build lacks, or a wrong KEYCLOAK_VERSION',
    labelNames: ['node', 'field'] as const,
    registers: [this.registry],
  });

  readonly otherNodes = new Counter({
    name: 'kcr_ingest_other_node_requests_total',
    help: 'Authenticated ingest requests from a sender counted as node="other": more distinct Basic-auth usernames than 256 since start (set AUTH_USERNAMES)',
    registers: [this.registry],
  });

  readonly futureTime = new Counter({
    name: 'kcr_ingest_future_time_total',
    help: "Events stored whose Keycloak time is more than MAX_CLOCK_SKEW ahead of the relay's clock, by sender: its clock is off (their logouts revoke only up to their arrival)",
    labelNames: ['node'] as const,
    registers: [this.registry],
  });

  constructor(gauges?: StoreGauges) {
    // Standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds…): what every
    // dashboard and alert for a Node process expects.
    collectDefaultMetrics({ register: this.registry });
    if (!gauges) return;
    // What a scrape can see of /readyz: alert rules cannot probe it, they can read this.
    // `aggregator`: how the processes of one replica (WORKERS) merge (src/metrics/group-metrics.ts);
    // the store's gauges are one value that every process reads, so never summed.
    new Gauge({
      name: 'kcr_ready',
      help: '1 when the relay is ready (store reachable, not shutting down), else 0: what /readyz answers',
      aggregator: 'min',
      registers: [this.registry],
      async collect() {
        this.set((await gauges.ready().catch(() => false)) ? 1 : 0);
      },
    });
    // Read from the store on scrape; left as it was when the store does not answer.
    const storeGauge = (name: string, help: string, read: () => Promise<number>) =>
      new Gauge({
        name,
        help,
        aggregator: 'max',
        registers: [this.registry],
        async collect() {
          const value = await read().catch(() => null);
          if (value !== null) this.set(value);
        },
      });
    // A bound from the configuration, the same in every process.
    const boundGauge = (name: string, help: string, value: number) =>
      new Gauge({ name, help, aggregator: 'max', registers: [this.registry] }).set(value);
    storeGauge('kcr_buffer_length', 'Events in the ring buffer now', gauges.bufferLength);
    boundGauge('kcr_buffer_capacity', 'The ring buffer bound (BUFFER_CAPACITY)', gauges.bufferCapacity);
    storeGauge('kcr_buffer_bytes', 'Bytes of event JSON in the ring buffer now', gauges.bufferBytes);
    boundGauge('kcr_buffer_max_bytes', 'The ring buffer byte bound (BUFFER_MAX_BYTES)', gauges.bufferMaxBytes);
    const replicationGauge = (name: string, help: string, field: 'minReplicas' | 'maxLagBytes') =>
      new Gauge({
        name,
        help,
        aggregator: field === 'minReplicas' ? 'min' : 'max',
        registers: [this.registry],
        async collect() {
          const replication = await gauges.replication().catch(() => undefined);
          if (replication) this.set(replication[field]);
        },
      });
    replicationGauge(
      'kcr_redis_replicas',
      'The fewest online replicas any Redis primary of the store has (REDIS_WAIT_REPLICAS waits for them)',
      'minReplicas',
    );
    replicationGauge(
      'kcr_redis_replication_lag_bytes',
      "The most bytes of a Redis primary's writes a replica has yet to copy: what a failover would lose without REDIS_WAIT_REPLICAS",
      'maxLagBytes',
    );
  }
}
