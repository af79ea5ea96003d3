// Acknowledgements are batched: one XACK (or one transaction) for many deliveries, instead of one
// round trip per event, which at thousands of deliveries a second costs the relay and Redis more
// CPU than the deliveries themselves. A delivery not yet acknowledged when the process dies is
// simply delivered again (at least once).

export class AckBatcher {
  private ids: string[] = [];
  /** How many of `ids` were deliveries (the rest: events the filter skipped). */
  private delivered = 0;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly acknowledge: (ids: string[], delivered: number) => Promise<void>,
    private readonly maxBatch = 64,
    private readonly maxDelayMs = 5,
  ) {}

  add(id: string, delivered: boolean): void {
    this.ids.push(id);
    if (delivered) this.delivered += 1;
    if (this.ids.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.maxDelayMs);
  }

  /** Sends what is queued; resolves once every batch queued so far is acknowledged. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.ids;
    const delivered = this.delivered;
    this.ids = [];
    this.delivered = 0;
    if (batch.length > 0) this.chain = this.chain.then(() => this.acknowledge(batch, delivered));
    return this.chain;
  }
}
