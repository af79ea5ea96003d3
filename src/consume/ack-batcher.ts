// Consumers of the ring buffer (forwarders, the logout publisher) acknowledge in batches, off their
// critical path: one XACK (or one transaction) for many entries instead of a round trip per entry,
// which at thousands of entries a second costs the relay and Redis more CPU than the work itself,
// and delays the next read. An entry not yet acknowledged when the process dies is simply handled
// again (at least once).

export class AckBatcher {
  private ids: string[] = [];
  /** How many of `ids` the consumer asked to count (a forwarder: deliveries, not filtered events). */
  private counted = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly acknowledge: (ids: string[], counted: number) => Promise<void>,
    private readonly maxBatch = 64,
    private readonly maxDelayMs = 5,
  ) {}

  add(id: string, counted = true): void {
    this.ids.push(id);
    if (counted) this.counted += 1;
    if (this.ids.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.maxDelayMs);
  }

  /** Sends what is queued; resolves once every batch queued so far is acknowledged. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.ids;
    const counted = this.counted;
    this.ids = [];
    this.counted = 0;
    if (batch.length > 0) this.chain = this.chain.then(() => this.acknowledge(batch, counted));
    return this.chain;
  }
}
