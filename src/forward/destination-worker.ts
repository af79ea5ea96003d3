// Delivers one destination's share of the ring buffer: reads its consumer group, delivers with
// retries (backoff + jitter, Retry-After), behind a circuit breaker, and acknowledges each event
// only after a 2xx, so a crash leaves it pending for another replica to claim.
import type { FastifyBaseLogger } from 'fastify';
import type { Destination } from '../config/destinations.js';
import { StreamConsumer } from '../consume/stream-consumer.js';
import { LineBudget } from '../log.js';
import type { ConsumerStore, DeadLetterInfo, StoredEntry } from '../store/event-store.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DestinationClient, type DeliveryResult } from './destination-client.js';
import { compileFilter, type EventPredicate } from './filter.js';
import { CIRCUIT_STATE_VALUE, type ForwardMetrics } from './forward-metrics.js';
import { RateLimiter } from './rate-limiter.js';

export interface WorkerOptions {
  /** This replica's consumer name in every group (consumerName). */
  consumer: string;
  /** Entries pending longer than this belong to a dead or stuck replica and are taken over. */
  claimIdleMs: number;
  /** Longest wait for new events per read. */
  blockMs: number;
  backoff?: BackoffPolicy;
  now?: () => number;
}

export type DeliveryOutcome = 'delivered' | 'dead-lettered' | 'stopped';

export class DestinationWorker {
  readonly client: DestinationClient;
  readonly breaker: CircuitBreaker;
  private readonly matches: EventPredicate | null;
  private readonly limiter: RateLimiter | null;
  private readonly consumer: StreamConsumer;
  private readonly queue: StoredEntry[] = [];
  private refill: Promise<void> | null = null;
  private lanes: Promise<void>[] = [];
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  /** Dropped dead letters can come at the rate of failed deliveries: a warning a minute at most. */
  private readonly dropWarnings = new LineBudget(60_000);

  constructor(
    readonly destination: Destination,
    private readonly store: ConsumerStore,
    private readonly metrics: ForwardMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly options: WorkerOptions,
  ) {
    this.client = new DestinationClient(destination);
    this.matches = compileFilter(destination.filter);
    this.limiter = destination.ratePerSecond ? new RateLimiter(destination.ratePerSecond) : null;
    this.breaker = new CircuitBreaker({ threshold: 5, coolDownMs: 1_000, maxCoolDownMs: 60_000 });
    this.now = options.now ?? Date.now;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    metrics.circuit.set({ destination: destination.name }, 0);
    const labels = { destination: destination.name };
    this.consumer = new StreamConsumer({
      store,
      group: destination.name,
      startFrom: destination.startFrom === 'now' ? 'end' : 'start',
      consumer: options.consumer,
      claimIdleMs: options.claimIdleMs,
      blockMs: options.blockMs,
      batchSize: destination.concurrency * 4,
      log,
      // Counted once acknowledged: a delivery whose ack is lost will be repeated, and counted then.
      onAcknowledged: (delivered) => metrics.delivered.inc(labels, delivered),
      onGone: (count) => metrics.lost.inc(labels, count),
    });
  }

  get name(): string {
    return this.destination.name;
  }

  /** Keeps an undeliverable event; the oldest dead letters beyond the bound make room, counted and logged. */
  async keepDeadLetter(entry: StoredEntry, info: DeadLetterInfo): Promise<void> {
    const dropped = await this.store.deadLetter(this.name, entry, info, this.now());
    if (dropped === 0) return;
    this.metrics.deadLettersDropped.inc({ destination: this.name }, dropped);
    const since = this.dropWarnings.add(dropped);
    if (since !== null) {
      this.log.warn(
        { destination: this.name, dropped: since },
        'dead letters full (BUFFER_CAPACITY): the oldest were dropped and cannot be redriven; fix the destination and redrive the rest',
      );
    }
  }

  async start(): Promise<void> {
    if (!(await this.consumer.start())) return;
    this.lanes = Array.from({ length: this.destination.concurrency }, () => this.lane());
  }

  async stop(): Promise<void> {
    await this.consumer.stop(Promise.all(this.lanes));
    await this.client.close();
  }

  /** Whether the entry's event passes this destination's filter (parsed only when there is one). */
  wants(entry: StoredEntry): boolean {
    return this.matches === null || this.matches(entry.event);
  }

  /**
   * Delivers one event until a 2xx, or until maxAttempts/maxAge; `onDead` keeps it as a dead letter.
   * Also used by replays and redrives, which own their entries outside the consumer group.
   */
  async deliverWithRetries(
    entry: StoredEntry,
    onDead: (result: DeliveryResult, attempts: number) => Promise<void>,
    keepClaimed: () => Promise<void> = async () => {},
  ): Promise<DeliveryOutcome> {
    const labels = { destination: this.name };
    let attempts = Math.max(0, entry.deliveries - 1);
    for (;;) {
      if (!(await this.waitForCircuit(keepClaimed))) return 'stopped';
      if (this.limiter) await this.limiter.take(this.consumer.signal).catch(() => undefined);
      if (this.stopped) return 'stopped';
      const started = process.hrtime.bigint();
      const result = await this.client.deliver(entry.uid, entry.body, this.now());
      attempts += 1;
      if (result.ok) {
        this.breaker.success();
        this.metrics.latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
        this.metrics.circuit.set(labels, 0);
        return 'delivered';
      }
      this.metrics.failed.inc(labels);
      this.breaker.failure(this.now(), result.retryAfterMs);
      this.metrics.circuit.set(labels, CIRCUIT_STATE_VALUE[this.breaker.state(this.now())]);
      const tooOld = this.now() - Date.parse(entry.event.receivedAt) > this.destination.maxAge;
      if (attempts >= this.destination.maxAttempts || tooOld) {
        await onDead(result, attempts);
        this.metrics.deadLettered.inc(labels);
        this.log.warn(
          { destination: this.name, uid: entry.uid, attempts, status: result.status, error: result.error },
          'event moved to dead letters',
        );
        return 'dead-lettered';
      }
      this.metrics.retried.inc(labels);
      const delay = result.retryAfterMs ?? backoffDelay(attempts, this.backoff);
      if (!(await this.pause(delay, keepClaimed))) return 'stopped';
    }
  }

  private get stopped(): boolean {
    return this.consumer.stopped;
  }

  /** One of `concurrency` lanes: takes the next entry and delivers it, until stopped. */
  private async lane(): Promise<void> {
    while (!this.stopped) {
      const entry = await this.next();
      if (!entry || this.stopped) continue;
      if (!this.wants(entry)) {
        this.metrics.filtered.inc({ destination: this.name });
        this.consumer.ack(entry.id, false);
        continue;
      }
      const outcome = await this.deliverWithRetries(
        entry,
        async (result, attempts) => {
          const info = { attempts, lastStatus: result.status, lastError: result.error };
          await this.consumer.retrying('keep a dead letter', () => this.keepDeadLetter(entry, info));
        },
        () => this.consumer.keepClaimed([entry.id]),
      );
      if (outcome === 'delivered') this.consumer.ack(entry.id, true);
      else this.consumer.release(entry.id);
    }
  }

  /**
   * The next entry for a lane. One refill at a time, started while a lane's worth is still queued,
   * so that lanes do not wait for the read.
   */
  private async next(): Promise<StoredEntry | null> {
    const queued = this.queue.shift();
    if (this.queue.length < this.destination.concurrency) this.startRefill();
    if (queued) return queued;
    await this.refill;
    return this.queue.shift() ?? null;
  }

  private startRefill(): void {
    if (this.refill || this.stopped) return;
    const refill = this.read().finally(() => {
      if (this.refill === refill) this.refill = null;
    });
    this.refill = refill;
  }

  private async read(): Promise<void> {
    // While the circuit is not closed nothing new is read: entries stay unread in the group, not
    // parked here. Half-open has no wait left, so idle lanes poll at a floor instead of spinning.
    const closed = this.breaker.state(this.now()) === 'closed';
    const entries = await this.consumer.fetch({ readNew: closed });
    this.queue.push(...entries);
    if (!closed && entries.length === 0) {
      await this.pause(Math.min(Math.max(this.breaker.waitMs(this.now()), 50), this.options.blockMs));
    }
  }

  /** Waits until the circuit lets a request out (this lane may be the half-open probe). */
  private async waitForCircuit(keepClaimed: () => Promise<void>): Promise<boolean> {
    while (!this.breaker.tryAcquire(this.now())) {
      if (!(await this.pause(Math.max(this.breaker.waitMs(this.now()), 50), keepClaimed))) return false;
    }
    return !this.stopped;
  }

  /** Sleeps `ms`, keeping the entry claimed meanwhile; false when stopped. */
  private async pause(ms: number, keepClaimed?: () => Promise<void>): Promise<boolean> {
    const step = keepClaimed ? Math.max(this.options.claimIdleMs / 3, 1) : ms;
    let left = ms;
    while (left > 0 && !this.stopped) {
      const chunk = Math.min(left, step);
      await this.consumer.pause(chunk);
      left -= chunk;
      if (keepClaimed && left > 0) await keepClaimed();
    }
    return !this.stopped;
  }
}
