// Publishes the logout messages of stored events: a consumer group of its own over the ring buffer
// (LOGOUT_GROUP, created only for the tag of events that end sessions), so a message goes out at least once per
// accepted event (a crash leaves the entry pending for this or another replica to claim) and never
// for a duplicate (duplicates never reach the buffer).
// Store and bus outages are waited out with backoff; nothing here ends the process.
import type { FastifyBaseLogger } from 'fastify';
import { StreamConsumer } from '../consume/stream-consumer.js';
import { RETRY_POLICIES } from '../retry/policies.js';
import { retryUntil } from '../retry/retry-until.js';
import type { ConsumerStore, StoredEntry } from '../store/event-store.js';
import type { LogoutBus } from './bus.js';
import { LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS } from './group.js';
import type { LogoutMetrics } from './metrics.js';
import { translate, type TranslateOptions } from './translate.js';
import type { LogoutMessage } from './message.js';

/** Entries per read: their messages go out in one round trip. */
const BATCH_SIZE = 100;

export interface LogoutPublisherOptions {
  store: ConsumerStore;
  bus: Pick<LogoutBus, 'publish'>;
  /** Snowflake generator of message ids. */
  nextId: () => bigint;
  metrics: LogoutMetrics;
  log: FastifyBaseLogger;
  /** This replica's consumer name (consumerName): stable across its restarts. */
  consumer: string;
  /** Entries pending this long belong to a dead replica and are taken over. */
  claimIdleMs?: number;
  /** Longest wait for new events per read: also the longest wait for stop(). */
  blockMs?: number;
  /** What the operator decided about events whose logout is a choice (SSF_CREDENTIAL_CHANGE). */
  translate?: TranslateOptions;
}

export class LogoutPublisher {
  private running: Promise<void> | null = null;
  private readonly consumer: StreamConsumer;

  constructor(private readonly options: LogoutPublisherOptions) {
    this.consumer = new StreamConsumer({
      store: options.store,
      group: LOGOUT_GROUP,
      // `start`: events accepted before the group existed (first deployment) are published too.
      startFrom: 'start',
      groupOptions: LOGOUT_GROUP_OPTIONS,
      consumer: options.consumer,
      claimIdleMs: options.claimIdleMs ?? 30_000,
      blockMs: options.blockMs ?? 1_000,
      batchSize: BATCH_SIZE,
      log: options.log,
      onGone: (count) => options.metrics.lost.inc({ destination: LOGOUT_GROUP }, count),
    });
  }

  /** Starts the loop in the background: an unreachable store at start-up delays publishing, not the relay. */
  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    await this.consumer.stop(this.running);
  }

  private async run(): Promise<void> {
    if (!(await this.consumer.start())) return;
    let work: StoredEntry[] = [];
    while (!this.consumer.stopped) {
      if (work.length === 0) work = await this.consumer.fetch();
      work = await this.publishAll(work);
    }
  }

  /**
   * Publishes the messages of a whole batch in one bus call (one pipelined round trip, one
   * transaction), then queues its acknowledgement (batched, off the loop). A failure is published
   * again after a backoff: an outage delays, never reorders, and may repeat a message (at least
   * once). Returns the batch when stopped before it went out.
   */
  private async publishAll(entries: StoredEntry[]): Promise<StoredEntry[]> {
    if (entries.length === 0) return [];
    let count = 0;
    const publishOnce = async () => {
      const batch = entries.map((entry) => ({ receivedAt: Date.parse(entry.event.receivedAt), messages: this.messagesOf(entry) }));
      const messages = batch.flatMap((b) => b.messages);
      count = messages.length;
      if (messages.length > 0) await this.options.bus.publish(messages, Date.now());
      return batch;
    };
    const batch = await retryUntil(publishOnce, RETRY_POLICIES.logoutPublish, this.consumer.signal, {
      onFailure: (err) => {
        this.options.metrics.failures.inc();
        this.options.log.warn({ count, err: (err as Error).message }, 'logout publish failed; retrying');
      },
    });
    if (batch === null) return entries;
    const now = Date.now();
    for (const { receivedAt, messages: published } of batch) {
      for (const m of published) {
        this.options.metrics.published.inc({ kind: m.kind, reason: m.reason });
        this.options.metrics.latency.observe({ kind: m.kind }, Math.max(0, now - receivedAt) / 1000);
      }
    }
    for (const entry of entries) this.consumer.ack(entry.id);
    return [];
  }

  /** Ids are drawn per attempt: a retried publish goes out under a fresh id, with the same eventUid. */
  private messagesOf(entry: StoredEntry): LogoutMessage[] {
    try {
      return translate(entry.event, this.options.nextId, this.options.translate);
    } catch (err) {
      // Translation is pure: a throw is a bug that would throw again on every retry and wedge the
      // group. The event is skipped, loudly.
      this.options.log.error({ uid: entry.event.uid, err }, 'logout translation failed; event skipped');
      return [];
    }
  }
}
