// The catch-up stage (KEYCLOAK_SOURCES): one poller per source, started with the relay and stopped
// before its store closes, and what the status page and /readyz say of each source. Every replica
// runs a poller per source; the store's lease lets one of them poll it at a time.
import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Metrics } from '../../metrics/metrics.js';
import type { EventStore } from '../../store/event-store.js';
import type { EventList } from './map-event.js';
import { parseCheckpoint, parsePoll, SourcePoller, type PollRecord } from './poller.js';
import { SourceMetrics } from './source-metrics.js';
import type { CatchUpSettings } from './source.js';

export interface CatchUpDeps {
  config: CatchUpSettings;
  store: EventStore;
  metrics: Metrics;
  registry: Registry;
  log: FastifyBaseLogger;
  owner: string;
  leaseGraceMs: number;
  assignUid: () => bigint;
  now: () => number;
}

/** A source as the status page and /readyz show it. */
export interface SourceStatus {
  name: string;
  realm: string;
  /** Keycloak's base URL (it holds no credentials, the configuration refuses them). */
  url: string;
  lists: EventList[];
  /** `ok`: its last run went through; `failing`: it failed (see lastPoll); `waiting`: no run yet. */
  state: 'ok' | 'failing' | 'waiting';
  /** The replica holding its lease, null when no lease is in force. */
  polledBy: string | null;
  pollingHere: boolean;
  lastPoll: (Omit<PollRecord, 'at'> & { at: string }) | null;
  /** The start of the last run that read every list to its end (null: none yet). */
  caughtUpAt: string | null;
  lagSeconds: number;
}

export class CatchUp {
  private readonly pollers: SourcePoller[];

  constructor(private readonly deps: CatchUpDeps) {
    const { config } = deps;
    const sourceMetrics = new SourceMetrics(deps.registry, () =>
      this.pollers.map((p) => ({ source: p.source.name, seconds: p.lagMs(deps.now()) / 1000 })),
    );
    this.pollers = config.KEYCLOAK_SOURCES.map((source) => new SourcePoller({ ...deps, source, sourceMetrics }));
  }

  start(): void {
    const now = this.deps.now();
    for (const { source } of this.pollers) {
      // Keycloak's events older than the dedup window are stored as `late`: a push of the same one may have been forgotten.
      if (source.since !== null && source.since < now - this.deps.config.DEDUP_WINDOW) {
        this.deps.log.warn(
          { source: source.name, since: new Date(source.since).toISOString() },
          'catch-up source starts before DEDUP_WINDOW: events older than the window are stored as late, and twice if a sender had pushed them',
        );
      }
    }
    for (const poller of this.pollers) poller.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
  }

  statuses(): SourceStatus[] {
    const now = this.deps.now();
    return this.pollers.map((poller) => {
      const { source, lists } = poller;
      const record = poller.known;
      const poll = parsePoll(record?.parts.poll);
      const caughtUp = lists.map((list) => parseCheckpoint(record?.parts[list])?.caughtUpAt ?? null);
      const polledBy = record !== null && record.owner !== null && record.leaseUntil >= now ? record.owner : null;
      return {
        name: source.name,
        realm: source.realm,
        url: source.baseUrl,
        lists: [...lists],
        state: poll === null ? 'waiting' : poll.error === null ? 'ok' : 'failing',
        polledBy,
        pollingHere: polledBy === this.deps.owner,
        lastPoll: poll === null ? null : { ...poll, at: new Date(poll.at).toISOString() },
        caughtUpAt: caughtUp.includes(null) ? null : new Date(Math.min(...(caughtUp as number[]))).toISOString(),
        lagSeconds: poller.lagMs(now) / 1000,
      };
    });
  }
}
