// Consumers of the ring buffer (forwarders, the logout publisher) acknowledge in batches, off their
// critical path: one XACK (or one transaction) for many entries instead of a round trip per entry,
// which at thousands of entries a second costs the relay and Redis more CPU than the work itself,
// and delays the next read. An entry not yet acknowledged when the process dies is simply handled
// again (at least once).

import { TurnBatch } from '../backend/turn-batch.js';

interface Ack {
  id: string;
  /** Whether the consumer asked to count it (a forwarder: deliveries, not filtered events). */
  counted: boolean;
}

export class AckBatcher {
  private readonly batch: TurnBatch<Ack>;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly acknowledge: (ids: string[], counted: number) => Promise<void>,
    maxBatch = 64,
    maxDelayMs = 5,
  ) {
    // Batches go out one after the other: an acknowledgement never overtakes an earlier one.
    this.batch = new TurnBatch(
      (acks) => {
        const counted = acks.filter((a) => a.counted).length;
        this.chain = this.chain.then(() =>
          this.acknowledge(
            acks.map((a) => a.id),
            counted,
          ),
        );
      },
      { maxItems: maxBatch, delayMs: maxDelayMs },
    );
  }

  add(id: string, counted = true): void {
    this.batch.add({ id, counted });
  }

  /** Sends what is queued; resolves once every batch queued so far is acknowledged. */
  flush(): Promise<void> {
    this.batch.flush();
    return this.chain;
  }
}
