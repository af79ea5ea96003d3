// Per-destination delivery metrics, on the relay's registry. Lag, pending and dead letters live in
// the store: read on scrape, once per scrape for all destinations, so every replica reports the truth.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GroupStates } from '../metrics/group-states.js';
import type { CircuitState } from '../retry/circuit-breaker.js';

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

export class ForwardMetrics {
  readonly delivered: Counter<'destination'>;
  readonly failed: Counter<'destination'>;
  readonly retried: Counter<'destination'>;
  readonly deadLettered: Counter<'destination'>;
  readonly deadLettersDropped: Counter<'destination'>;
  readonly filtered: Counter<'destination'>;
  readonly latency: Histogram<'destination'>;
  readonly circuit: Gauge<'destination'>;

  /**
   * `lost` is the relay's kcr_buffer_lost_total, shared with ingest (which counts entries evicted
   * unread); `groupStates` serves the three store gauges of one scrape with one read per destination.
   */
  constructor(
    registry: Registry,
    readonly lost: Counter<'destination'>,
    groupStates: GroupStates,
    destinations: readonly string[],
  ) {
    const registers = [registry];
    const labelNames = ['destination'] as const;
    this.delivered = new Counter({
      name: 'kcr_forward_delivered_total',
      help: 'Events acknowledged (2xx) by the destination',
      labelNames,
      registers,
    });
    this.failed = new Counter({
      name: 'kcr_forward_failed_total',
      help: 'Delivery attempts that failed (non-2xx, refused, timeout)',
      labelNames,
      registers,
    });
    this.retried = new Counter({
      name: 'kcr_forward_retried_total',
      help: 'Retries scheduled after a failed attempt',
      labelNames,
      registers,
    });
    this.deadLettered = new Counter({
      name: 'kcr_forward_dead_lettered_total',
      help: 'Events moved to the dead letters after maxAttempts or maxAge',
      labelNames,
      registers,
    });
    this.deadLettersDropped = new Counter({
      name: 'kcr_forward_dead_letters_dropped_total',
      help: 'Oldest dead letters dropped to keep them within BUFFER_CAPACITY per destination: those events will not be redriven',
      labelNames,
      registers,
    });
    this.filtered = new Counter({
      name: 'kcr_forward_filtered_total',
      help: "Events skipped by the destination's filter",
      labelNames,
      registers,
    });
    this.latency = new Histogram({
      name: 'kcr_forward_delivery_seconds',
      help: 'Duration of successful deliveries (request to 2xx answer)',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.circuit = new Gauge({
      name: 'kcr_forward_circuit_state',
      help: 'Circuit breaker: 0 closed, 1 half-open, 2 open (WORKERS: the worst of the processes)',
      labelNames,
      aggregator: 'max',
      registers,
    });
    const fromStore = (field: 'lag' | 'pending' | 'deadLetters') =>
      async function collect(this: Gauge<'destination'>): Promise<void> {
        for (const [name, state] of await groupStates.getAll(destinations)) {
          if (state) this.set({ destination: name }, state[field]);
        }
      };
    new Gauge({
      name: 'kcr_forward_lag',
      help: 'Buffered events not yet handed to the destination',
      labelNames,
      aggregator: 'max',
      registers,
      collect: fromStore('lag'),
    });
    new Gauge({
      name: 'kcr_forward_pending',
      help: 'Events handed out but not yet acknowledged',
      labelNames,
      aggregator: 'max',
      registers,
      collect: fromStore('pending'),
    });
    new Gauge({
      name: 'kcr_forward_dead_letters',
      help: 'Dead letters waiting for a redrive',
      labelNames,
      aggregator: 'max',
      registers,
      collect: fromStore('deadLetters'),
    });
    new Gauge({
      name: 'kcr_forward_partition_lag',
      help: 'kcr_forward_lag per partition of the ring buffer (PARTITIONS): a partition left behind shows here',
      labelNames: ['destination', 'partition'] as const,
      aggregator: 'max',
      registers,
      async collect() {
        for (const [name, state] of await groupStates.getAll(destinations)) {
          state?.partitionLag.forEach((lag, partition) => this.set({ destination: name, partition: String(partition) }, lag));
        }
      },
    });
  }
}
