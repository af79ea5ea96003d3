// Metrics of the logout publisher, on the relay's registry.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class LogoutMetrics {
  /** The relay's kcr_buffer_lost_total, where the publisher counts pending entries found gone. */
  readonly lost: Counter<'destination'>;
  readonly published: Counter<'kind' | 'reason'>;
  readonly latency: Histogram<'kind'>;
  readonly failures: Counter;

  constructor(registry: Registry, lost: Counter<'destination'>, lag: () => Promise<number | null>) {
    const registers = [registry];
    this.lost = lost;
    this.published = new Counter({
      name: 'kcr_logout_published_total',
      help: 'Logout messages published (revocation recorded, message sent), by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers,
    });
    this.latency = new Histogram({
      name: 'kcr_logout_publish_latency_seconds',
      help: 'Time from the relay receiving a session-ending event to its logout message being published',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers,
    });
    this.failures = new Counter({
      name: 'kcr_logout_publish_failures_total',
      help: 'Failed attempts to publish (retried with backoff until they succeed)',
      registers,
    });
    // Read from the store on scrape: every replica reports the group's true backlog.
    new Gauge({
      name: 'kcr_logout_lag',
      help: 'Buffered events not yet handed to the logout publisher',
      aggregator: 'max',
      registers,
      async collect() {
        const value = await lag();
        if (value !== null) this.set(value);
      },
    });
  }
}
