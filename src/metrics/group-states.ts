// Consumer-group state read from the store for metrics, at most once per group per `maxAgeMs`: the
// lag, pending and dead-letter gauges (and the status page's summary) of one scrape share one read
// per destination instead of one per destination per metric.
import type { ConsumerStore, GroupState } from '../store/event-store.js';
import { sharedRead } from './shared-read.js';

export class GroupStates {
  private readonly reads = new Map<string, () => Promise<GroupState | null>>();

  constructor(
    private readonly store: Pick<ConsumerStore, 'groupState'>,
    private readonly maxAgeMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** null when the store cannot answer: the gauge keeps its last value rather than failing the scrape. */
  get(group: string): Promise<GroupState | null> {
    let read = this.reads.get(group);
    if (!read) {
      read = sharedRead(() => this.store.groupState(group).catch(() => null), this.maxAgeMs, this.now);
      this.reads.set(group, read);
    }
    return read();
  }

  async getAll(groups: Iterable<string>): Promise<Map<string, GroupState | null>> {
    const names = [...groups];
    const states = await Promise.all(names.map((name) => this.get(name)));
    return new Map(names.map((name, i) => [name, states[i] ?? null]));
  }
}
