// Delivers one destination's share of the ring buffer: reads its consumer group, hands batches to
// the destination's target (targets/: webhook, amqp, nats, postgres), retries what the target did
// not confirm (backoff + jitter, Retry-After), behind a circuit breaker, and acknowledges each event
// only once confirmed, so a crash leaves it pending for another replica to claim.
import type { FastifyBaseLogger } from 'fastify';
import { StreamConsumer } from '../consume/stream-consumer.js';
import { LineBudget } from '../log.js';
import { CircuitBreaker } from '../retry/circuit-breaker.js';
import { DESTINATION_BREAKER, RETRY_POLICIES } from '../retry/policies.js';
import { retryDelay } from '../retry/retry-until.js';
import type { ConsumerStore, DeadLetterInfo, StoredEntry } from '../store/event-store.js';
import type { Destination } from './destination.js';
import { compileFilter, filterTag, type EventPredicate } from './filter.js';
import { CIRCUIT_STATE_VALUE, type ForwardMetrics } from './forward-metrics.js';
import { RateLimiter } from './rate-limiter.js';
import { createTarget } from './targets/index.js';
import { displayUrl, type DeliveryResult, type Target } from './targets/target.js';

export interface WorkerOptions {
  /** This replica's consumer name in every group (consumerName). */
  consumer: string;
  /** Entries pending longer than this belong to a dead or stuck replica and are taken over. */
  claimIdleMs: number;
  /** Longest wait for new events per read. */
  blockMs: number;
  now?: () => number;
}

export type DeliveryOutcome = 'delivered' | 'dead-lettered' | 'stopped';

export interface BatchHandlers {
  /** Keeps an entry that ran out of attempts or age (the redrive's own letters: nothing to do). */
  dead: (entry: StoredEntry, result: DeliveryResult, attempts: number) => Promise<void>;
  /** An entry confirmed, as soon as it is (the rest of its batch may still be retried). */
  delivered?: (entry: StoredEntry) => void;
  /** Resets the claim of entries still being retried, so no other replica takes them over. */
  keepClaimed?: (entries: StoredEntry[]) => Promise<void>;
}

/** The last failed write, until a write succeeds: the status page shows it by the connection state. */
export interface LastFailure {
  error: string;
  at: string;
}

export class DestinationWorker {
  readonly target: Target;
  /** The destination's URL without credentials or query, for display. */
  readonly display: string;
  readonly breaker: CircuitBreaker;
  lastFailure: LastFailure | null = null;
  private readonly matches: EventPredicate | null;
  private readonly limiter: RateLimiter | null;
  private readonly consumer: StreamConsumer;
  private readonly queue: StoredEntry[] = [];
  private refill: Promise<void> | null = null;
  private lanes: Promise<void>[] = [];
  private readonly now: () => number;
  /** Dropped dead letters can come at the rate of failed deliveries: a warning a minute at most. */
  private readonly dropWarnings = new LineBudget(60_000);

  constructor(
    readonly destination: Destination,
    private readonly store: ConsumerStore,
    private readonly metrics: ForwardMetrics,
    private readonly log: FastifyBaseLogger,
    private readonly options: WorkerOptions,
  ) {
    this.target = createTarget(destination);
    this.display = displayUrl(destination.url);
    this.matches = compileFilter(destination.filter);
    this.limiter = destination.ratePerSecond ? new RateLimiter(destination.ratePerSecond) : null;
    this.breaker = new CircuitBreaker(DESTINATION_BREAKER);
    this.now = options.now ?? Date.now;
    metrics.circuit.set({ destination: destination.name }, 0);
    const labels = { destination: destination.name };
    const only = filterTag(destination.filter);
    this.consumer = new StreamConsumer({
      store,
      group: destination.name,
      startFrom: destination.startFrom === 'now' ? 'end' : 'start',
      // The store skips what the filter's tag says it does not want: counted as filtered here too.
      groupOptions: { ...(only === null ? {} : { only }), onSkipped: (count) => metrics.filtered.inc(labels, count) },
      consumer: options.consumer,
      claimIdleMs: options.claimIdleMs,
      blockMs: options.blockMs,
      // A lane's worth for each lane, and never less than four events per lane to keep them busy.
      batchSize: destination.concurrency * Math.max(4, this.target.batchSize),
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
    await this.target.close();
  }

  /** Whether the entry's event passes this destination's filter (parsed only when there is one). */
  wants(entry: StoredEntry): boolean {
    return this.matches === null || this.matches(entry.event);
  }

  /**
   * Delivers one event until confirmed, or until maxAttempts/maxAge; `onDead` keeps it as a dead
   * letter. Used by replays and redrives, which own their entries outside the consumer group.
   */
  async deliverWithRetries(
    entry: StoredEntry,
    onDead: (result: DeliveryResult, attempts: number) => Promise<void>,
    keepClaimed: () => Promise<void> = async () => {},
  ): Promise<DeliveryOutcome> {
    const [outcome] = await this.deliverBatch([entry], { dead: (_entry, result, attempts) => onDead(result, attempts), keepClaimed });
    return outcome!;
  }

  /**
   * Writes `entries` through the target until each is confirmed or dead: the unconfirmed ones are
   * written again after a backoff (or the destination's Retry-After), behind the circuit breaker.
   */
  async deliverBatch(entries: StoredEntry[], handlers: BatchHandlers): Promise<DeliveryOutcome[]> {
    const labels = { destination: this.name };
    const outcomes: DeliveryOutcome[] = entries.map(() => 'stopped');
    const attempts = entries.map((entry) => Math.max(0, entry.deliveries - 1));
    let open = entries.map((_, i) => i);
    const keepClaimed = () => handlers.keepClaimed?.(open.map((i) => entries[i]!)) ?? Promise.resolve();
    while (open.length > 0) {
      if (!(await this.waitForCircuit(keepClaimed))) return outcomes;
      if (this.limiter)
        for (let n = 0; n < open.length && !this.stopped; n++) await this.limiter.take(this.consumer.signal).catch(() => undefined);
      if (this.stopped) return outcomes;
      const started = process.hrtime.bigint();
      const results = await this.target.write(
        open.map((i) => entries[i]!),
        this.now(),
      );
      const failures: Array<{ i: number; result: DeliveryResult }> = [];
      open.forEach((i, k) => {
        const result = results[k]!;
        attempts[i]! += 1;
        if (!result.ok) return void failures.push({ i, result });
        outcomes[i] = 'delivered';
        handlers.delivered?.(entries[i]!);
      });
      if (failures.length < open.length) {
        // The destination works: refusals of single events (a nack, one bad row) do not open the circuit.
        this.breaker.success();
        this.metrics.latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
        this.metrics.circuit.set(labels, 0);
      }
      if (failures.length === 0) {
        this.lastFailure = null;
        return outcomes;
      }
      const retryAfterMs = failures.reduce<number | null>(
        (most, f) => (f.result.retryAfterMs === null ? most : Math.max(most ?? 0, f.result.retryAfterMs)),
        null,
      );
      this.lastFailure = { error: failures[0]!.result.error, at: new Date(this.now()).toISOString() };
      this.metrics.failed.inc(labels, failures.length);
      if (failures.length === open.length) this.breaker.failure(this.now(), retryAfterMs);
      this.metrics.circuit.set(labels, CIRCUIT_STATE_VALUE[this.breaker.state(this.now())]);
      open = [];
      for (const { i, result } of failures) {
        const entry = entries[i]!;
        const tooOld = this.now() - Date.parse(entry.event.receivedAt) > this.destination.maxAge;
        if (attempts[i]! < this.destination.maxAttempts && !tooOld) {
          open.push(i);
          continue;
        }
        await handlers.dead(entry, result, attempts[i]!);
        outcomes[i] = 'dead-lettered';
        this.metrics.deadLettered.inc(labels);
        this.log.warn(
          { destination: this.name, uid: entry.uid, attempts: attempts[i], status: result.status, error: result.error },
          'event moved to dead letters',
        );
      }
      if (open.length === 0) return outcomes;
      this.metrics.retried.inc(labels, open.length);
      const delay = retryAfterMs ?? retryDelay(RETRY_POLICIES.delivery, Math.max(...open.map((i) => attempts[i]!)));
      if (!(await this.pause(delay, keepClaimed))) return outcomes;
    }
    return outcomes;
  }

  private get stopped(): boolean {
    return this.consumer.stopped;
  }

  /** One of `concurrency` lanes: takes the next batch and delivers it, until stopped. */
  private async lane(): Promise<void> {
    while (!this.stopped) {
      const batch = await this.next();
      if (batch.length === 0 || this.stopped) continue;
      const wanted = batch.filter((entry) => {
        if (this.wants(entry)) return true;
        this.metrics.filtered.inc({ destination: this.name });
        this.consumer.ack(entry.id, false);
        return false;
      });
      if (wanted.length === 0) continue;
      const outcomes = await this.deliverBatch(wanted, {
        dead: async (entry, result, attempts) => {
          const info = { attempts, lastStatus: result.status, lastError: result.error };
          await this.consumer.retrying('keep a dead letter', () => this.keepDeadLetter(entry, info));
        },
        delivered: (entry) => this.consumer.ack(entry.id, true),
        keepClaimed: (entries) => this.consumer.keepClaimed(entries.map((entry) => entry.id)),
      });
      outcomes.forEach((outcome, i) => outcome !== 'delivered' && this.consumer.release(wanted[i]!.id));
    }
  }

  /**
   * The next batch for a lane (up to the target's batch size). One refill at a time, started while
   * a lane's worth is still queued for each lane, so that lanes do not wait for the read.
   */
  private async next(): Promise<StoredEntry[]> {
    if (this.queue.length < this.destination.concurrency * this.target.batchSize) this.startRefill();
    if (this.queue.length === 0) await this.refill;
    return this.queue.splice(0, this.target.batchSize);
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
