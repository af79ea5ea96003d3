// One catch-up source at work: every `interval` it asks the store for the source's lease; the
// replica that holds it reads each list from its checkpoint (paging.ts), stores every event through
// the path pushed events take (the store's append with Keycloak's id as dedup key, the logout
// translation's tag: http/store-event.ts), checkpoints each page, and records the run's outcome in
// the store for every replica's status page. A failing run (Keycloak down, 401, 403, the store) is
// counted, logged within a line budget and tried again with backoff (capped at the interval, or
// Keycloak's Retry-After); it never touches ingest. Stopping lets the lease go at once.
import type { FastifyBaseLogger } from 'fastify';
import { KCR_ERR_BUFFER_FULL } from '../../errors.js';
import { storeEvent, type StoreEventDeps } from '../../http/store-event.js';
import { LineBudget } from '../../log.js';
import { RETRY_POLICIES } from '../../retry/policies.js';
import { retryDelay } from '../../retry/retry-until.js';
import type { EventStore, SourceRecord } from '../../store/event-store.js';
import { validateEvent } from '../../validate/index.js';
import { KeycloakAdminClient } from './admin-client.js';
import { EVENT_LISTS, mapEvent, mappedDedupKey, type EventList, type MappedEvent } from './map-event.js';
import { readList, type ListCheckpoint, type ListIo } from './paging.js';
import { asPollFailure, PollFailure, type PollOutcome } from './poll-outcome.js';
import type { SourceMetrics } from './source-metrics.js';
import type { CatchUpSettings, KeycloakSource } from './source.js';

/** source.node of the events read back: the sender, as `phasetwo` and `ssf` name theirs. */
export const KEYCLOAK_API_SENDER = 'keycloak-api';

/** The store part holding the last run's outcome (beside one part per list, its checkpoint). */
const POLL_PART = 'poll';

/** The last run of a source, by whichever replica ran it (the store's `poll` part). */
export interface PollRecord {
  /** When it ended (relay clock, epoch ms). */
  at: number;
  outcome: PollOutcome;
  /** What went wrong, without secrets; null for ok and more. */
  error: string | null;
  /** Failed runs in a row, this one included (0 after a success). */
  failures: number;
  /** The replica that ran it. */
  replica: string;
}

export interface PollerDeps extends StoreEventDeps {
  source: KeycloakSource;
  store: EventStore;
  sourceMetrics: SourceMetrics;
  log: FastifyBaseLogger;
  /** This replica's consumer name: the lease's owner, stable across restarts. */
  owner: string;
  /** How long a lease outlives its holder's last renewal beyond the interval (a hung request's grace). */
  leaseGraceMs: number;
  /**
   * DEDUP_WINDOW: where a first run starts without `since`; MAX_CLOCK_SKEW: the latest time a dedup
   * window counts from, as for Phase Two; the buffer's bounds, named when it is full.
   */
  config: Omit<CatchUpSettings, 'KEYCLOAK_SOURCES'>;
  assignUid: () => bigint;
  now: () => number;
}

class Stopped extends Error {}

export function parseCheckpoint(text: string | undefined): ListCheckpoint | null {
  return text === undefined ? null : (JSON.parse(text) as ListCheckpoint);
}

export function parsePoll(text: string | undefined): PollRecord | null {
  return text === undefined ? null : (JSON.parse(text) as PollRecord);
}

export class SourcePoller {
  readonly source: KeycloakSource;
  readonly lists: readonly EventList[];
  private readonly client: KeycloakAdminClient;
  private readonly leaseMs: number;
  private readonly failuresLogged = new LineBudget(60_000);
  private readonly createdAt: number;
  /** The source as this replica last saw it in the store (refreshed every tick, and by its own saves). */
  private record: SourceRecord | null = null;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly deps: PollerDeps) {
    this.source = deps.source;
    this.lists = EVENT_LISTS.filter((list) => (list === 'events' ? deps.source.userEvents : deps.source.adminEvents));
    this.client = new KeycloakAdminClient(deps.source, { now: deps.now });
    this.leaseMs = deps.source.intervalMs + deps.leaseGraceMs;
    this.createdAt = deps.now();
  }

  start(): void {
    this.schedule(0);
  }

  /** Ends the run in progress (its requests are cut), then lets the lease go, for another replica to take at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.client.close();
    await this.ticking;
    if (this.record?.owner === this.deps.owner) {
      await this.deps.store.saveSource(this.source.name, this.deps.owner, 0, {}).catch(() => false);
    }
  }

  /** The source as this replica knows it: who polls it, the last run, each list's checkpoint. */
  get known(): SourceRecord | null {
    return this.record;
  }

  /** How long ago the relay last knew it held every event Keycloak had saved (the oldest list's). */
  lagMs(nowMs: number): number {
    const caughtUp = this.lists.map((list) => parseCheckpoint(this.record?.parts[list])?.caughtUpAt ?? null);
    // Never read to its end yet: behind since where its first run starts.
    const oldest = caughtUp.includes(null)
      ? (this.source.since ?? this.createdAt - this.deps.config.DEDUP_WINDOW)
      : Math.min(...(caughtUp as number[]));
    return Math.max(0, nowMs - oldest);
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      // Every failure of a run is handled in it: what gets here is a fault of the relay, which must
      // not end the process (an unhandled rejection) nor the source's polling.
      this.ticking = this.tick()
        .catch((err: unknown) => {
          this.deps.log.error({ err, source: this.source.name }, 'catch-up tick failed on a fault of the relay');
          this.schedule(this.source.intervalMs);
        })
        .finally(() => (this.ticking = null));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { store, owner } = this.deps;
    const startedAt = this.deps.now();
    try {
      this.record = await store.leaseSource(this.source.name, owner, startedAt, startedAt + this.leaseMs);
    } catch (err) {
      this.noteFailure(asPollFailure(err), startedAt);
      this.schedule(this.source.intervalMs);
      return;
    }
    if (this.record.owner !== owner) {
      this.schedule(this.source.intervalMs);
      return;
    }
    this.schedule(this.nextDelay(await this.run(startedAt), startedAt));
  }

  /** Reads every list; resolves to the run's outcome, or what stopped it (null: stopped for a shutdown). */
  private async run(startedAt: number): Promise<PollOutcome | PollFailure | null> {
    let outcome: PollOutcome = 'ok';
    try {
      for (const list of this.lists) {
        const checkpoint = parseCheckpoint(this.record?.parts[list]);
        const since = this.source.since ?? startedAt - this.deps.config.DEDUP_WINDOW;
        const { pageSize, maxPerRun, overlapMs } = this.source;
        const listRun = await readList(this.io(list), this.source.name, checkpoint, { since, overlapMs, pageSize, maxPerRun }, startedAt);
        if (!listRun.end) outcome = 'more';
      }
    } catch (err) {
      if (this.stopping) return null;
      const failure = asPollFailure(err);
      if (failure.outcome === 'error')
        this.deps.log.error({ err, source: this.source.name }, 'catch-up run failed on a fault of the relay');
      await this.finish(failure.outcome, failure.message);
      return failure;
    }
    await this.finish(outcome, null);
    return outcome;
  }

  private io(list: EventList): ListIo<MappedEvent> {
    const origin = { source: this.source.name, realm: this.source.realm };
    return {
      fetch: async (query) => {
        if (this.stopping) throw new Stopped();
        const entries = await this.client.page(list, query);
        return entries.map((entry) => mapEvent(list, entry, origin));
      },
      store: (events) => this.storeAll(events),
      save: async (checkpoint) => {
        if (!(await this.save({ [list]: JSON.stringify(checkpoint) }))) {
          throw new PollFailure('lease_lost', 'another replica took the source over (this one had not renewed its lease in time)');
        }
      },
    };
  }

  /** Appends each event (in one event-loop turn: one store batch); how many of the first ones are stored. */
  private async storeAll(events: MappedEvent[]): Promise<{ stored: number; failure?: unknown }> {
    const { deps } = this;
    const nowMs = deps.now();
    const latestMs = nowMs + deps.config.MAX_CLOCK_SKEW;
    const outcomes = await Promise.allSettled(
      events.map(async (mapped) => {
        const event = validateEvent(mapped, {
          node: KEYCLOAK_API_SENDER,
          nowMs,
          maxFutureSkewMs: deps.config.MAX_CLOCK_SKEW,
          assignUid: deps.assignUid,
        });
        const dedup = mappedDedupKey(mapped, latestMs);
        return storeEvent(deps, event, nowMs, { dedup }, deps.log);
      }),
    );
    let stored = 0;
    let failure: unknown;
    for (const outcome of outcomes) {
      const status = outcome.status === 'fulfilled' ? outcome.value : null;
      if (status === 'accepted' || status === 'duplicate') deps.sourceMetrics.events.inc({ source: this.source.name, outcome: status });
      if (failure !== undefined) continue;
      if (status === 'accepted' || status === 'duplicate') stored += 1;
      else
        failure =
          outcome.status === 'rejected' ? outcome.reason : KCR_ERR_BUFFER_FULL(deps.config.BUFFER_CAPACITY, deps.config.BUFFER_MAX_BYTES);
    }
    return failure === undefined ? { stored } : { stored, failure };
  }

  /** Writes parts while this replica holds the source, renewing its lease; false once another holds it. */
  private async save(parts: Record<string, string>): Promise<boolean> {
    const now = this.deps.now();
    const held = await this.deps.store.saveSource(this.source.name, this.deps.owner, now + this.leaseMs, parts);
    if (held && this.record) this.record = { ...this.record, leaseUntil: now + this.leaseMs, parts: { ...this.record.parts, ...parts } };
    return held;
  }

  /** Counts and records the run's outcome; a failure is logged within the budget, a recovery once. */
  private async finish(outcome: PollOutcome, error: string | null): Promise<void> {
    const now = this.deps.now();
    this.deps.sourceMetrics.polls.inc({ source: this.source.name, outcome });
    const previous = parsePoll(this.record?.parts[POLL_PART]);
    const failed = error !== null;
    const failures = failed ? (previous?.failures ?? 0) + 1 : 0;
    if (failed) this.logFailure(outcome, error, failures);
    else if (previous !== null && previous.failures > 0)
      this.deps.log.info({ source: this.source.name, outcome }, 'catch-up source read again');
    const poll: PollRecord = { at: now, outcome, error, failures, replica: this.deps.owner };
    // The lease may be gone (lease_lost): then only this replica's view keeps it.
    const saved = outcome !== 'lease_lost' && (await this.save({ [POLL_PART]: JSON.stringify(poll) }).catch(() => false));
    if (!saved && this.record) this.record = { ...this.record, parts: { ...this.record.parts, [POLL_PART]: JSON.stringify(poll) } };
  }

  /** A failure before the source could be leased (the store is away): counted and shown here. */
  private noteFailure(failure: PollFailure, at: number): void {
    this.deps.sourceMetrics.polls.inc({ source: this.source.name, outcome: failure.outcome });
    this.logFailure(failure.outcome, failure.message, 1);
    const poll: PollRecord = { at, outcome: failure.outcome, error: failure.message, failures: 1, replica: this.deps.owner };
    const base = this.record ?? { owner: null, leaseUntil: 0, parts: {} };
    this.record = { ...base, parts: { ...base.parts, [POLL_PART]: JSON.stringify(poll) } };
  }

  private logFailure(outcome: PollOutcome, error: string, failures: number): void {
    const since = this.failuresLogged.add();
    if (since === null) return;
    this.deps.log.warn(
      { source: this.source.name, realm: this.source.realm, outcome, error, failures, since },
      outcome === 'forbidden'
        ? "catch-up source refused: give the client's service account the view-events role of realm-management"
        : 'catch-up source failed; trying again with backoff',
    );
  }

  /** After a failure: backoff (capped at the interval), or what Keycloak asked for; else the interval, or at once for more. */
  private nextDelay(ran: PollOutcome | PollFailure | null, startedAt: number): number {
    const { intervalMs } = this.source;
    if (ran === 'more') return 0;
    if (!(ran instanceof PollFailure)) return Math.max(0, startedAt + intervalMs - this.deps.now());
    const failure = ran;
    if (failure.outcome === 'lease_lost') return intervalMs;
    if (failure.retryAfterMs !== null) return failure.retryAfterMs;
    const attempt = parsePoll(this.record?.parts[POLL_PART])?.failures ?? 1;
    return retryDelay({ ...RETRY_POLICIES.catchUp, capMs: Math.min(RETRY_POLICIES.catchUp.capMs, intervalMs) }, attempt);
  }
}
