// Runs one worker per configured destination over the shared store.
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { Destination } from '../config/destinations.js';
import type { EventStore } from '../store/event-store.js';
import { DestinationWorker } from './destination-worker.js';
import { GroupStates } from '../metrics/group-states.js';
import { ForwardMetrics } from './forward-metrics.js';

export interface ForwarderOptions {
  destinations: Destination[];
  store: EventStore;
  registry: Registry;
  log: FastifyBaseLogger;
  claimIdleMs: number;
  blockMs?: number;
  /** Defaults to host name + pid: unique per replica and per restart. */
  consumer?: string;
}

export class Forwarder {
  readonly workers = new Map<string, DestinationWorker>();
  readonly metrics: ForwardMetrics;
  /** The store's view of each destination's group, shared by the gauges and the status summary. */
  readonly groupStates: GroupStates;

  constructor(private readonly options: ForwarderOptions) {
    this.metrics = new ForwardMetrics(options.registry);
    const consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    for (const destination of options.destinations) {
      this.workers.set(
        destination.name,
        new DestinationWorker(destination, options.store, this.metrics, options.log, {
          consumer,
          claimIdleMs: options.claimIdleMs,
          blockMs: options.blockMs ?? 1_000,
        }),
      );
    }
    // Lag, pending and dead letters live in the store: read on scrape, so every replica reports the
    // truth; one read per destination serves the three gauges.
    this.groupStates = new GroupStates(options.store);
    const workers = this.workers;
    const groupStates = this.groupStates;
    const read = (field: 'lag' | 'pending' | 'deadLetters') =>
      async function collect(this: Gauge<'destination'>): Promise<void> {
        for (const [name, state] of await groupStates.getAll(workers.keys())) {
          if (state) this.set({ destination: name }, state[field]);
        }
      };
    const labelNames = ['destination'] as const;
    const registers = [options.registry];
    new Gauge({ name: 'kcr_forward_lag', help: 'Buffered events not yet handed to the destination', labelNames, registers, collect: read('lag') });
    new Gauge({ name: 'kcr_forward_pending', help: 'Events handed out but not yet acknowledged', labelNames, registers, collect: read('pending') });
    new Gauge({ name: 'kcr_forward_dead_letters', help: 'Dead letters waiting for a redrive', labelNames, registers, collect: read('deadLetters') });
  }

  async start(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
  }
}
