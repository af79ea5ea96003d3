// Prometheus metrics of one relay instance, on a registry of its own (so several instances in one
// process, as in tests, do not collide).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly ingest = new Counter({
    name: 'kcr_ingest_requests_total',
    help: 'Ingest requests by outcome (accepted, duplicate, quarantined, rejected, unauthorized, throttled, unavailable, full, too_large, error)',
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

  readonly late = new Counter({
    name: 'kcr_events_late_total',
    help: 'Accepted events whose uid is older than DEDUP_WINDOW',
    registers: [this.registry],
  });

  readonly evicted = new Counter({
    name: 'kcr_buffer_evicted_total',
    help: 'Events pushed out of the ring buffer by its bound (BUFFER_CAPACITY)',
    registers: [this.registry],
  });

  readonly lost = new Counter({
    name: 'kcr_buffer_lost_total',
    help: 'Events pushed out of the ring buffer before a destination had received them',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'kcr_connections_refused_total',
    help: 'Connections closed at once because their address already held MAX_CONNECTIONS_PER_ADDRESS',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kcr_' });
  }
}
