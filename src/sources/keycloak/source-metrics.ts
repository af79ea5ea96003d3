// The catch-up's metrics, on the relay's registry: runs by outcome and events by what the store
// said (both counted by the replica that polled), and each source's lag, which every replica (and
// with WORKERS every process) shows from the source's checkpoints as it last saw them in the store.
import { Counter, Gauge, type Registry } from 'prom-client';

export class SourceMetrics {
  readonly polls: Counter<'source' | 'outcome'>;
  readonly events: Counter<'source' | 'outcome'>;

  constructor(registry: Registry, lag: () => Array<{ source: string; seconds: number }>) {
    this.polls = new Counter({
      name: 'kcr_source_poll_total',
      help: 'Catch-up runs of a KEYCLOAK_SOURCES entry by outcome (ok, more, unauthorized, forbidden, unreachable, unavailable, invalid, store_unavailable, lease_lost, error), counted by the replica that ran them',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    });
    this.events = new Counter({
      name: 'kcr_source_events_total',
      help: "Events read back from Keycloak's admin API by what the store said: accepted (no sender had delivered it) or duplicate",
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'kcr_source_lag_seconds',
      help: 'Seconds since the start of the last catch-up run that read every list of the source to its end: every event Keycloak had saved by then is stored',
      labelNames: ['source'] as const,
      registers: [registry],
      // WORKERS: the process that polls has the freshest view, the others one at most an interval old.
      aggregator: 'min',
      collect() {
        for (const { source, seconds } of lag()) this.set({ source }, seconds);
      },
    });
  }
}
