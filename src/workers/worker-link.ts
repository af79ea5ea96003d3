// A relay process's side of the IPC with the supervisor (src/workers/supervisor.ts): which slot it
// fills, "ready", answering the supervisor's reads of this process, asking it for reads of the
// whole replica (ProcessGroupReads), and being told to shut down. (A supervisor killed outright takes
// its processes with it: node:cluster ends a worker whose primary is gone, as a kill -9 of one relay would.)
import { KCR_ERR_WORKERS_UNAVAILABLE } from '../errors.js';
import type { ProcessGroupReads } from '../http/process-group.js';
import type { LogoutMessage } from '../logout/message.js';
import type { MetricsJson } from '../metrics/group-metrics.js';
import type { DestinationInfo } from '../metrics/summary.js';
import { mergeDestinations } from './destinations.js';
import { isMessage, type GatherKind, type ToPrimary, type ToWorker } from './messages.js';

/** How this process answers each kind of read. */
export type Collectors = { [K in GatherKind]: (arg: unknown) => unknown };

/** The supervisor asks every process with this bound: a read here waits a little longer for its answer. */
export const GATHER_TIMEOUT_MS = 5_000;
const ASK_TIMEOUT_MS = GATHER_TIMEOUT_MS + 1_000;

function send(message: ToPrimary): void {
  // The channel closes when the supervisor dies (and node:cluster ends this process then).
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

export class WorkerLink {
  private collectors: Collectors | null = null;
  private readonly pending = new Map<number, { resolve: (values: unknown[]) => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private onShutdown: (() => void) | null = null;

  private constructor(
    /** This process's slot, 0..count-1: kept by its restarts. */
    readonly index: number,
    readonly count: number,
  ) {
    process.on('message', (message: unknown) => {
      if (isMessage<ToWorker>(message)) this.receive(message);
    });
  }

  /** Asks the supervisor for this process's slot (asked, not pushed: a message sent before this process listened would be lost). */
  static join(timeoutMs = 10_000): Promise<WorkerLink> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no slot from the supervisor within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (message: unknown) => {
        if (!isMessage<ToWorker>(message) || message.kcr !== 'slot') return;
        clearTimeout(timer);
        process.off('message', onMessage);
        resolve(new WorkerLink(message.index, message.count));
      };
      process.on('message', onMessage);
      send({ kcr: 'hello' });
    });
  }

  /** What this process answers to the supervisor's reads; set before `ready`. */
  serve(collectors: Collectors): void {
    this.collectors = collectors;
  }

  ready(port: number): void {
    send({ kcr: 'ready', port });
  }

  /** Called when the supervisor says to shut down. */
  whenToShutDown(fn: () => void): void {
    this.onShutdown = fn;
  }

  private receive(message: ToWorker): void {
    switch (message.kcr) {
      case 'collect':
        void this.collect(message.id, message.kind, message.arg);
        return;
      case 'gathered': {
        const asked = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.error !== undefined) asked?.reject(KCR_ERR_WORKERS_UNAVAILABLE(message.error));
        else asked?.resolve(message.values ?? []);
        return;
      }
      case 'shutdown':
        this.onShutdown?.();
        return;
      case 'slot':
        return;
    }
  }

  private async collect(id: number, kind: GatherKind, arg: unknown): Promise<void> {
    try {
      if (!this.collectors) throw new Error('not serving yet');
      send({ kcr: 'collected', id, value: await this.collectors[kind](arg) });
    } catch (err) {
      send({ kcr: 'collected', id, error: (err as Error).message });
    }
  }

  /** Every ready process's answer to a read (metrics: the replica's, merged by the supervisor). */
  gather(kind: GatherKind, arg?: unknown): Promise<unknown[]> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(KCR_ERR_WORKERS_UNAVAILABLE(`the supervisor did not answer within ${ASK_TIMEOUT_MS} ms`));
      }, ASK_TIMEOUT_MS);
      const settle = {
        resolve: (v: unknown[]) => (clearTimeout(timer), resolve(v)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.pending.set(id, settle);
      send({ kcr: 'gather', id, kind, ...(arg === undefined ? {} : { arg }) });
    });
  }

  /** The replica's reads, for the HTTP routes. */
  reads(): ProcessGroupReads {
    return {
      metricsText: async () => (await this.gather('metrics', 'text'))[0] as string,
      metricsJson: async () => (await this.gather('metrics', 'json'))[0] as MetricsJson,
      recentLogouts: async (limit) => {
        const all = (await this.gather('logouts', limit)).flat() as LogoutMessage[];
        // Message ids are snowflakes: newest first across processes as within one.
        return all.sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : BigInt(b.id) < BigInt(a.id) ? -1 : 0)).slice(0, limit);
      },
      destinations: async () => mergeDestinations((await this.gather('destinations')) as DestinationInfo[][]),
    };
  }
}
