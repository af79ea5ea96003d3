// With WORKERS above 1 a request lands on one of the replica's relay processes, but what an
// operator reads (GET /metrics, the status page's summary, destinations, recent logouts) must be the
// replica's, whichever process answers. The routes read through this when it is given (src/workers/
// implements it over IPC); without it they read this process, as a single one is the replica.
// Replay jobs need none of this: they live in the store, which every process reads.
import type { MetricsJson } from '../metrics/group-metrics.js';
import type { DestinationInfo } from '../metrics/summary.js';
import type { LogoutMessage } from '../logout/message.js';

export interface ProcessGroupReads {
  /** The Prometheus exposition of every process's metrics, merged (counters summed). */
  metricsText(): Promise<string>;
  metricsJson(): Promise<MetricsJson>;
  /** Newest first, over every process. */
  recentLogouts(limit: number): Promise<LogoutMessage[]>;
  /** Per destination, the worst circuit and connection of any process, and the latest failure. */
  destinations(): Promise<DestinationInfo[]>;
}
