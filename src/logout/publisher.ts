// Publishes the logout messages of stored events: a consumer group of its own over the ring buffer,
// so a message goes out at least once per accepted event (a crash leaves the entry pending for this
// or another replica to claim) and never for a duplicate (duplicates never reach the buffer).
// Store and bus outages are waited out with backoff; nothing here ends the process.
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { KCR_ERR_NO_GROUP, type KcrError } from '../errors.js';
import { backoffDelay } from '../forward/backoff.js';
import { AckBatcher } from '../store/ack-batcher.js';
import type { ConsumerStore, StoredEntry } from '../store/event-store.js';
import type { LogoutBus } from './bus.js';
import type { LogoutMetrics } from './metrics.js';
import { translate } from './translate.js';
import type { LogoutMessage } from './message.js';

/** The publisher's consumer group; `@` keeps it apart from destination names (letters, digits, `_.-`). */
export const LOGOUT_GROUP = '@logout';

const RETRY_BACKOFF = { baseMs: 100, capMs: 5_000 };
/** Entries per read: their messages go out in one round trip. */
const BATCH_SIZE = 100;

export interface LogoutPublisherOptions {
  store: ConsumerStore;
  bus: LogoutBus;
  /** Snowflake generator of message ids. */
  nextId: () => bigint;
  metrics: LogoutMetrics;
  log: FastifyBaseLogger;
  /** Defaults to host name + pid, as the forwarder's: unique per replica and per restart. */
  consumer?: string;
  /** Entries pending this long belong to a dead replica and are taken over. */
  claimIdleMs?: number;
  /** Longest wait for new events per read: also the longest wait for stop(). */
  blockMs?: number;
}

export class LogoutPublisher {
  private readonly stopper = new AbortController();
  private running: Promise<void> | null = null;
  private lastClaimAt = Number.NEGATIVE_INFINITY;
  /** Publish failures in a row: the backoff grows with them. */
  private failuresInARow = 0;
  private readonly consumer: string;
  private readonly claimIdleMs: number;
  private readonly blockMs: number;
  private readonly acks = new AckBatcher((ids) => this.acknowledge(ids));

  constructor(private readonly options: LogoutPublisherOptions) {
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}`;
    this.claimIdleMs = options.claimIdleMs ?? 30_000;
    this.blockMs = options.blockMs ?? 1_000;
  }

  /** Starts the loop in the background: an unreachable store at start-up delays publishing, not the relay. */
  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.running;
    await this.acks.flush();
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    const { store } = this.options;
    // `start`: events accepted before the group existed (first deployment) are published too.
    if ((await this.retrying('create the consumer group', () => store.ensureGroup(LOGOUT_GROUP, 'start'))) === null) return;
    let work: StoredEntry[] = [];
    while (!this.stopped) {
      if (work.length === 0) work = (await this.retrying('read the ring buffer', () => this.fetch())) ?? [];
      work = await this.publishAll(work);
    }
  }

  /** Stale entries of dead replicas first (checked every claimIdleMs/2), then new ones. */
  private async fetch(): Promise<StoredEntry[]> {
    const { store } = this.options;
    try {
      if (Date.now() - this.lastClaimAt >= this.claimIdleMs / 2) {
        this.lastClaimAt = Date.now();
        const stale = await store.claimStale(LOGOUT_GROUP, this.consumer, this.claimIdleMs, BATCH_SIZE);
        if (stale.length > 0) {
          this.options.log.info({ count: stale.length }, 'logout publisher took over events pending on another consumer');
          return stale;
        }
      }
      return await store.readNew(LOGOUT_GROUP, this.consumer, BATCH_SIZE, this.blockMs);
    } catch (err) {
      // The group went away with the stream (Redis restarted without persistence, or was flushed):
      // recreated from the start of what the buffer holds now, then the read is retried.
      if ((err as KcrError).code === KCR_ERR_NO_GROUP.code) await store.ensureGroup(LOGOUT_GROUP, 'start');
      throw err;
    }
  }

  /**
   * Publishes the messages of a whole batch in one bus call (one pipelined round trip, one
   * transaction), then queues its acknowledgement (batched, off the loop). On a failure the batch is
   * returned to be published again after a backoff: an outage delays, never reorders, and may
   * repeat a message (at least once).
   */
  private async publishAll(entries: StoredEntry[]): Promise<StoredEntry[]> {
    if (entries.length === 0) return [];
    const batch = entries.map((entry) => ({ receivedAt: Date.parse(entry.event.receivedAt), messages: this.messagesOf(entry) }));
    const messages = batch.flatMap((b) => b.messages);
    try {
      if (messages.length > 0) await this.options.bus.publish(messages, Date.now());
    } catch (err) {
      this.options.metrics.failures.inc();
      this.options.log.warn({ count: messages.length, err: (err as Error).message }, 'logout publish failed; retrying');
      await this.pause(backoffDelay(Math.min(++this.failuresInARow, 7), RETRY_BACKOFF) + 50);
      return entries;
    }
    this.failuresInARow = 0;
    const now = Date.now();
    for (const { receivedAt, messages: published } of batch) {
      for (const m of published) {
        this.options.metrics.published.inc({ kind: m.kind, reason: m.reason });
        this.options.metrics.latency.observe({ kind: m.kind }, Math.max(0, now - receivedAt) / 1000);
      }
    }
    for (const entry of entries) this.acks.add(entry.id);
    return [];
  }

  /** Ids are drawn per attempt: a retried publish goes out under a fresh id, with the same eventUid. */
  private messagesOf(entry: StoredEntry): LogoutMessage[] {
    try {
      return translate(entry.event, this.options.nextId);
    } catch (err) {
      // Translation is pure: a throw is a bug that would throw again on every retry and wedge the
      // group. The event is skipped, loudly.
      this.options.log.error({ uid: entry.event.uid, err }, 'logout translation failed; event skipped');
      return [];
    }
  }

  /** A lost ack only means the entry is published again after a claim: retried while running, then left. */
  private async acknowledge(ids: string[]): Promise<void> {
    if (ids.length > 0) await this.retrying('acknowledge', () => this.options.store.ack(LOGOUT_GROUP, ids), { once: this.stopped });
  }

  /** Runs a store operation until it succeeds; null once stopped (tried at least once). */
  private async retrying<T>(what: string, op: () => Promise<T>, { once = false } = {}): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (this.stopped || once) return null;
        this.options.log.warn({ err: (err as Error).message }, `logout publisher could not ${what}; retrying`);
        await this.pause(backoffDelay(Math.min(attempt, 7), RETRY_BACKOFF) + 50);
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stopper.signal }).catch(() => undefined);
  }
}
