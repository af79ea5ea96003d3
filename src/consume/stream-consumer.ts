// One consumer of one group of the ring buffer, as every destination and the logout publisher need
// it: create the group, then hand out batches: this consumer's own pending entries first (left by
// its previous process, or by a read whose reply an outage swallowed), then entries of consumers
// that died (claimed after claimIdleMs), then new ones. A lost group is recreated, store outages
// are waited out with backoff, and acknowledgements go out in batches. At least once: an entry
// leaves the group only when acknowledged (or dead-lettered) by whoever handles it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { KCR_ERR_NO_GROUP, KcrError } from '../errors.js';
import { RETRY_POLICIES } from '../retry/policies.js';
import { retryUntil } from '../retry/retry-until.js';
import type { Claimed, ConsumerStore, GroupOptions, StoredEntry } from '../store/event-store.js';
import { AckBatcher } from './ack-batcher.js';

export interface StreamConsumerOptions {
  store: ConsumerStore;
  group: string;
  /** Where the group starts when it is created (or recreated after the store lost it). */
  startFrom: 'start' | 'end';
  /** The group's options (a filter: GroupOptions.only), recorded whenever it is created. */
  groupOptions?: GroupOptions;
  /** This replica's name in the group: stable across its restarts (consumerName). */
  consumer: string;
  /** Entries pending this long on another consumer belong to a dead replica and are taken over. */
  claimIdleMs: number;
  /** Longest wait for new entries per read: also the longest wait for stop(). */
  blockMs: number;
  batchSize: number;
  log: FastifyBaseLogger;
  /** Called with the number of entries acknowledged that the caller counted (e.g. deliveries). */
  onAcknowledged?: (counted: number) => void;
  /** Called when claimed entries had left the ring buffer before anyone handled them. */
  onGone?: (count: number) => void;
}

export class StreamConsumer {
  private readonly stopper = new AbortController();
  private readonly acks: AckBatcher;
  /**
   * Handed out by this process and not yet dead-lettered or confirmed acknowledged. An entry whose
   * acknowledgement is still queued or failing (a store outage) stays here: the resumption of this
   * consumer's pending entries after the outage skips it instead of handling it again.
   */
  private readonly inFlight = new Set<string>();
  /** Where the next resumption of this consumer's own pending entries starts; null when none is due. */
  private resumeAfter: string | null = '0';
  private lastClaimAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: StreamConsumerOptions) {
    this.acks = new AckBatcher(async (ids, counted) => {
      // A lost acknowledgement only means the entry is handled again later: tried once more when stopping.
      const done = await this.retrying('acknowledge', () => options.store.ack(options.group, ids), { once: this.stopped });
      if (done === null) return;
      for (const id of ids) this.inFlight.delete(id);
      if (counted > 0) options.onAcknowledged?.(counted);
    });
  }

  get group(): string {
    return this.options.group;
  }

  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Creates the group if absent, waiting out an unreachable store; false when stopped first. */
  async start(): Promise<boolean> {
    return (await this.retrying('create the consumer group', () => this.ensureGroup())) !== null;
  }

  /**
   * The next entries to handle (none when stopped or when nothing came within blockMs). With
   * `readNew` false only pending entries are handed out: a consumer that cannot deliver (an open
   * circuit) leaves new entries unread in the group rather than parked in its memory.
   */
  async fetch({ readNew = true } = {}): Promise<StoredEntry[]> {
    const entries = (await this.retrying('read the ring buffer', () => this.read(readNew))) ?? [];
    for (const entry of entries) this.inFlight.add(entry.id);
    return entries;
  }

  /** Queues an acknowledgement; `counted` says whether onAcknowledged counts it. */
  ack(id: string, counted = true): void {
    this.acks.add(id, counted);
  }

  /** An entry this consumer no longer holds (dead-lettered, or given up when stopping). */
  release(id: string): void {
    this.inFlight.delete(id);
  }

  /** Resets the idle time of entries still being worked on (long retries), so nobody claims them. */
  async keepClaimed(ids: string[]): Promise<void> {
    await this.options.store.touch(this.options.group, this.options.consumer, ids).catch(() => undefined);
  }

  /**
   * Stops handing out entries, waits for `work` (whatever still holds entries: it may acknowledge
   * them as it ends), then sends every acknowledgement queued.
   */
  async stop(work?: Promise<unknown> | null): Promise<void> {
    this.stopper.abort();
    await work;
    await this.acks.flush();
  }

  /**
   * Runs a store operation until it succeeds, with backoff; null once stopped (tried at least once,
   * so that a delivery that just succeeded is still acknowledged). A failure means this consumer
   * may have missed a reply: its own pending entries are resumed before anything new is read.
   */
  async retrying<T>(what: string, op: () => Promise<T>, { once = false } = {}): Promise<T | null> {
    const missedReply = async (): Promise<T> => {
      try {
        return await op();
      } catch (err) {
        this.resumeAfter = '0';
        throw err;
      }
    };
    return retryUntil(missedReply, RETRY_POLICIES.storeOutage, this.signal, {
      once,
      finalTry: true,
      onFailure: (err, _attempt, retrying) => {
        if (retrying) this.options.log.warn({ group: this.group, err: (err as Error).message }, `consumer could not ${what}; retrying`);
      },
    });
  }

  /** Sleeps `ms` unless stopped first; false when stopped. */
  async pause(ms: number): Promise<boolean> {
    await sleep(ms, undefined, { signal: this.stopper.signal }).catch(() => undefined);
    return !this.stopped;
  }

  private async ensureGroup(): Promise<void> {
    await this.options.store.ensureGroup(this.group, this.options.startFrom, this.options.groupOptions);
  }

  private async read(readNew: boolean): Promise<StoredEntry[]> {
    const { store, consumer, claimIdleMs, batchSize, blockMs } = this.options;
    try {
      // Page by page: each page moves the cursor on, until this consumer's pending list is walked.
      while (this.resumeAfter !== null) {
        const own = await store.resumePending(this.group, consumer, this.resumeAfter, batchSize, this.inFlight);
        this.resumeAfter = own.cursor;
        if (this.reportGone(own).length > 0) return own.entries;
      }
      if (Date.now() - this.lastClaimAt >= claimIdleMs / 2) {
        this.lastClaimAt = Date.now();
        const stale = this.reportGone(await store.claimStale(this.group, consumer, claimIdleMs, batchSize));
        if (stale.length > 0) {
          this.options.log.info({ group: this.group, count: stale.length }, 'took over entries pending on another consumer');
          return stale;
        }
      }
      return readNew ? await store.readNew(this.group, consumer, batchSize, blockMs) : [];
    } catch (err) {
      // The group went away with the store's data (Redis restarted without persistence, or was
      // flushed): recreated as configured, then the read is retried.
      if (err instanceof KcrError && err.code === KCR_ERR_NO_GROUP.code) await this.ensureGroup();
      throw err;
    }
  }

  /** The claimed entries, after reporting those that had left the ring buffer before anyone handled them. */
  private reportGone(claimed: Claimed): StoredEntry[] {
    if (claimed.gone > 0) {
      this.options.onGone?.(claimed.gone);
      this.options.log.warn({ group: this.group, count: claimed.gone }, 'pending entries left the ring buffer before they were handled');
    }
    return claimed.entries;
  }
}
