// Runs one worker per configured destination over the shared store.
import type { FastifyBaseLogger } from 'fastify';
import type { Counter, Registry } from 'prom-client';
import type { EventStore } from '../store/event-store.js';
import { GroupStates } from '../metrics/group-states.js';
import type { DestinationInfo } from '../metrics/summary.js';
import type { Destination } from './destination.js';
import { DestinationWorker } from './destination-worker.js';
import { ForwardMetrics } from './forward-metrics.js';

export interface ForwarderOptions {
  destinations: Destination[];
  store: EventStore;
  registry: Registry;
  /** kcr_buffer_lost_total: pending entries found gone when claimed are counted there too. */
  lost: Counter<'destination'>;
  log: FastifyBaseLogger;
  claimIdleMs: number;
  blockMs?: number;
  /** This replica's consumer name (consumerName): stable across its restarts. */
  consumer: string;
}

export class Forwarder {
  readonly workers = new Map<string, DestinationWorker>();
  readonly metrics: ForwardMetrics;
  /** The store's view of each destination's group, shared by the gauges and the status summary. */
  readonly groupStates: GroupStates;

  constructor(options: ForwarderOptions) {
    const { store, destinations } = options;
    this.groupStates = new GroupStates(store);
    this.metrics = new ForwardMetrics(
      options.registry,
      options.lost,
      this.groupStates,
      destinations.map((d) => d.name),
    );
    for (const destination of destinations) {
      this.workers.set(
        destination.name,
        new DestinationWorker(destination, store, this.metrics, options.log, {
          consumer: options.consumer,
          claimIdleMs: options.claimIdleMs,
          blockMs: options.blockMs ?? 1_000,
        }),
      );
    }
  }

  /** Each destination's type, display URL, circuit, connection state and last failure, as the status page and /readyz show them. */
  describe(nowMs = Date.now()): DestinationInfo[] {
    return [...this.workers.values()].map((w) => ({
      name: w.name,
      type: w.destination.type,
      url: w.display,
      circuit: w.breaker.state(nowMs),
      connection: w.target.connection(),
      lastFailure: w.lastFailure,
    }));
  }

  async start(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }
}
