// Delivers one destination's share of the ring buffer: reads its consumer group, delivers with
// retries (backoff + jitter, Retry-After), behind a circuit breaker, and acknowledges each event
// only after a 2xx, so a crash leaves it pending for another replica to claim.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Destination } from '../config/destinations.js';
import { KCR_ERR_NO_GROUP, type KcrError } from '../errors.js';
import { AckBatcher } from '../store/ack-batcher.js';
import type { ConsumerStore, StoredEntry } from '../store/event-store.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DestinationClient, type DeliveryResult } from './destination-client.js';
import { compileFilter, type EventPredicate } from './filter.js';
import { CIRCUIT_STATE_VALUE, type ForwardMetrics } from './forward-metrics.js';
import { RateLimiter } from './rate-limiter.js';

export interface WorkerOptions {
  /** This replica's consumer name in every group. */
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
  private readonly matches: EventPredicate;
  private readonly limiter: RateLimiter | null;
  private readonly stopper = new AbortController();
  private readonly queue: StoredEntry[] = [];
  private refill: Promise<void> | null = null;
  private lastClaimAt = 0;
  private lanes: Promise<void>[] = [];
  private readonly now: () => number;
  private readonly backoff: BackoffPolicy;
  private readonly acks: AckBatcher;

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
    this.acks = new AckBatcher(async (ids, delivered) => {
      // Counted once acknowledged: a delivery whose ack is lost will be repeated, and counted then.
      if ((await this.untilStopped(() => this.store.ack(this.name, ids))) !== null && delivered > 0) {
        metrics.delivered.inc({ destination: destination.name }, delivered);
      }
    });
  }

  get name(): string {
    return this.destination.name;
  }

  async start(): Promise<void> {
    await this.untilStopped(() => this.store.ensureGroup(this.name, this.startFrom));
    this.lanes = Array.from({ length: this.destination.concurrency }, () => this.lane());
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.all(this.lanes);
    await this.acks.flush();
    await this.client.close();
  }

  /** Whether `event` passes this destination's filter. */
  wants(entry: StoredEntry): boolean {
    return this.matches(entry.event);
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
    const receivedAt = Date.parse(entry.event.receivedAt);
    for (;;) {
      if (!(await this.waitForCircuit(keepClaimed))) return 'stopped';
      if (this.limiter) await this.limiter.take(this.stopper.signal).catch(() => undefined);
      if (this.stopped) return 'stopped';
      const started = process.hrtime.bigint();
      const result = await this.client.deliver(entry.event, entry.body, this.now());
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
      const tooOld = this.now() - receivedAt > this.destination.maxAge;
      if (attempts >= this.destination.maxAttempts || tooOld) {
        await onDead(result, attempts);
        this.metrics.deadLettered.inc(labels);
        this.log.warn(
          { destination: this.name, uid: entry.event.uid, attempts, status: result.status, error: result.error },
          'event moved to dead letters',
        );
        return 'dead-lettered';
      }
      this.metrics.retried.inc(labels);
      const delay = result.retryAfterMs ?? backoffDelay(attempts, this.backoff);
      if (!(await this.pause(delay, keepClaimed))) return 'stopped';
    }
  }

  private get startFrom(): 'start' | 'end' {
    return this.destination.startFrom === 'now' ? 'end' : 'start';
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** One of `concurrency` lanes: takes the next entry and delivers it, until stopped. */
  private async lane(): Promise<void> {
    while (!this.stopped) {
      const entry = await this.untilStopped(() => this.next());
      if (!entry || this.stopped) continue;
      if (!this.wants(entry)) {
        this.metrics.filtered.inc({ destination: this.name });
        this.acks.add(entry.id, false);
        continue;
      }
      const outcome = await this.deliverWithRetries(
        entry,
        (result, attempts) =>
          this.untilStopped(() =>
            this.store.deadLetter(this.name, entry, { attempts, lastStatus: result.status, lastError: result.error }, this.now()),
          ).then(() => undefined),
        () => this.store.touch(this.name, this.options.consumer, [entry.id]).catch(() => undefined),
      );
      if (outcome === 'delivered') this.acks.add(entry.id, true);
    }
  }

  /**
   * The next entry for a lane: stale entries of dead replicas first, then new ones. One refill at a
   * time, started while a lane's worth is still queued, so that lanes do not wait for the read.
   */
  private async next(): Promise<StoredEntry | null> {
    const queued = this.queue.shift();
    if (this.queue.length < this.destination.concurrency) this.startRefill();
    if (queued) return queued;
    try {
      await this.refill;
    } catch (err) {
      // The refill that failed is retried by this lane's caller (untilStopped).
      if (this.queue.length === 0) throw err;
    }
    return this.queue.shift() ?? null;
  }

  private startRefill(): void {
    if (this.refill || this.stopped) return;
    const refill = this.fill().finally(() => {
      if (this.refill === refill) this.refill = null;
    });
    // A failure is reported to the lanes awaiting it; none may be awaiting, so it must not go unhandled.
    refill.catch(() => undefined);
    this.refill = refill;
  }

  private async fill(): Promise<void> {
    try {
      await this.read();
    } catch (err) {
      // The group went away with the store's data (Redis restarted without persistence, or was
      // flushed): recreated as configured, then the read is retried by the caller.
      if ((err as KcrError).code === KCR_ERR_NO_GROUP.code) await this.store.ensureGroup(this.name, this.startFrom);
      throw err;
    }
  }

  private async read(): Promise<void> {
    const batch = this.destination.concurrency * 4;
    if (this.now() - this.lastClaimAt >= this.options.claimIdleMs / 2) {
      this.lastClaimAt = this.now();
      const stale = await this.store.claimStale(this.name, this.options.consumer, this.options.claimIdleMs, batch);
      if (stale.length > 0) {
        this.log.info({ destination: this.name, count: stale.length }, 'took over events pending on another consumer');
        this.queue.push(...stale);
        return;
      }
    }
    // While the circuit is not closed nothing new is read: entries stay unread in the group, not
    // parked here. Half-open has no wait left, so idle lanes poll at a floor instead of spinning.
    if (this.breaker.state(this.now()) !== 'closed') {
      await this.pause(Math.min(Math.max(this.breaker.waitMs(this.now()), 50), this.options.blockMs));
      return;
    }
    this.queue.push(...(await this.store.readNew(this.name, this.options.consumer, batch, this.options.blockMs)));
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
      await sleep(chunk, undefined, { signal: this.stopper.signal }).catch(() => undefined);
      left -= chunk;
      if (keepClaimed && left > 0) await keepClaimed();
    }
    return !this.stopped;
  }

  /**
   * Runs a store operation, retrying through store outages with backoff; null once stopped. It is
   * tried at least once even when stopping, so that a delivery that just succeeded is acknowledged.
   */
  private async untilStopped<T>(op: () => Promise<T>): Promise<T | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (this.stopped) return null;
        this.log.warn({ destination: this.name, err: (err as Error).message }, 'store unavailable to the forwarder; retrying');
        await this.pause(backoffDelay(Math.min(attempt, 6), { baseMs: 200, capMs: 5_000 }) + 100);
      }
    }
  }
}
