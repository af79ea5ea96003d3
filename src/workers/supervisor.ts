// WORKERS above 1: the cluster primary runs no relay of its own. It forks one relay process per
// slot, all listening on the one port (node:cluster hands each new connection to the next process,
// round robin), restarts a process that dies (RestartBudget bounds how often), answers the
// processes' reads of the whole replica (metrics merged, other reads collected from each), and on
// SIGTERM/SIGINT tells every process to drain and waits for them, within SHUTDOWN_TIMEOUT.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { Counter, Registry } from 'prom-client';
import { GroupMetrics, type MetricsJson } from '../metrics/group-metrics.js';
import { isMessage, type GatherKind, type ToPrimary, type ToWorker } from './messages.js';
import { RestartBudget } from './restart-budget.js';
import { GATHER_TIMEOUT_MS } from './worker-link.js';

export interface SupervisorOptions {
  count: number;
  /** SHUTDOWN_TIMEOUT: each process drains within it, then exits 1 by itself. */
  shutdownTimeoutMs: number;
  log: Logger;
  budget?: RestartBudget;
  gatherTimeoutMs?: number;
}

/** EX_CONFIG: a process that found the configuration unusable (PARTITIONS): its siblings would too. */
const EXIT_CONFIG = 78;
/** Past SHUTDOWN_TIMEOUT a process exits by itself; one that still has not is killed this much later. */
const KILL_AFTER_MS = 1_000;

interface Gather {
  waiting: Set<number>;
  values: Map<number, unknown>;
  answer(slot: number, value: unknown, error?: string): void;
  /** The process of `slot` exited: its answer is no longer awaited. */
  drop(slot: number): void;
}

/** Calls of `fn` one at a time; a call made while one runs waits for it, then shares the next run. */
function oneAtATime<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let next: Promise<T> | null = null;
  const start = (): Promise<T> => {
    const run: Promise<T> = fn().finally(() => {
      if (running === run) running = null;
    });
    running = run;
    return run;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}

export class Supervisor {
  /** The supervisor's own metrics, merged into every process's /metrics. */
  readonly registry = new Registry();
  private readonly restarts = new Counter({
    name: 'kcr_worker_restarts_total',
    help: 'Relay processes (WORKERS) restarted after they died',
    registers: [this.registry],
  });
  private readonly slots: Array<Worker | null>;
  private readonly slotOf = new Map<number, number>();
  private readonly ready = new Set<number>();
  private readonly metrics = new GroupMetrics(this.registry);
  private readonly gathers = new Map<number, Gather>();
  private readonly budget: RestartBudget;
  private readonly gatherTimeoutMs: number;
  private nextGatherId = 0;
  private state: 'starting' | 'running' | 'stopping' = 'starting';
  private exitCode = 0;
  private onStarted: { resolve: (port: number) => void; reject: (err: Error) => void } | null = null;
  private onStopped: ((code: number) => void) | null = null;
  /** Resolves with the exit code once every process has exited, however the stop began. */
  readonly stopped: Promise<number>;
  private port = 0;
  private readonly mergedMetrics = oneAtATime(() => this.readMetrics());

  constructor(private readonly options: SupervisorOptions) {
    this.slots = Array.from({ length: options.count }, () => null);
    this.budget = options.budget ?? new RestartBudget();
    this.gatherTimeoutMs = options.gatherTimeoutMs ?? GATHER_TIMEOUT_MS;
    this.stopped = new Promise((resolve) => (this.onStopped = resolve));
  }

  /** Forks every process; resolves with the port once all are ready, rejects if one exits first. */
  start(): Promise<number> {
    // Structured clone: metric values (NaN, Infinity) cross as they are.
    cluster.setupPrimary({ serialization: 'advanced' });
    cluster.on('message', (worker, message: unknown) => {
      if (isMessage<ToPrimary>(message)) this.receive(worker, message);
    });
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    const started = new Promise<number>((resolve, reject) => (this.onStarted = { resolve, reject }));
    for (let slot = 0; slot < this.options.count; slot++) this.fork(slot);
    return started;
  }

  /** Pids of the live processes, by slot (null: being restarted). */
  pids(): Array<number | null> {
    return this.slots.map((w) => w?.process.pid ?? null);
  }

  /** Tells every process to drain and exit; resolves with the exit code once all have (`code` if none failed). */
  stop(code = 0): Promise<number> {
    if (this.state === 'stopping') return this.stopped;
    this.state = 'stopping';
    this.exitCode = code;
    this.onStarted?.reject(new Error('stopped during start-up'));
    // A process not yet ready serves nothing, and may not listen for messages yet: a signal stops it.
    this.slots.forEach((worker, slot) => {
      if (worker && this.ready.has(slot)) this.send(worker, { kcr: 'shutdown' });
      else worker?.process.kill('SIGTERM');
    });
    const kill = setTimeout(() => {
      const left = this.slots.filter((w): w is Worker => w !== null);
      if (left.length === 0) return;
      this.options.log.error(
        { workerPids: left.map((w) => w.process.pid) },
        'relay processes still running past SHUTDOWN_TIMEOUT; killing them',
      );
      this.kill('SIGKILL');
    }, this.options.shutdownTimeoutMs + KILL_AFTER_MS);
    kill.unref();
    this.checkStopped();
    return this.stopped;
  }

  /** Signals every live process (a second SIGTERM: they exit at once, as a single relay would). */
  kill(signal: NodeJS.Signals): void {
    for (const worker of this.slots) worker?.process.kill(signal);
  }

  private fork(slot: number): void {
    const worker = cluster.fork();
    this.slots[slot] = worker;
    this.slotOf.set(worker.id, slot);
  }

  private send(worker: Worker, message: ToWorker): void {
    // A process that just died cannot be told anything; its exit is handled on its own.
    if (worker.isConnected()) worker.send(message, undefined, () => undefined);
  }

  private receive(worker: Worker, message: ToPrimary): void {
    const slot = this.slotOf.get(worker.id);
    if (slot === undefined) return;
    switch (message.kcr) {
      case 'hello':
        this.send(worker, { kcr: 'slot', index: slot, count: this.options.count });
        return;
      case 'ready':
        this.ready.add(slot);
        this.port = message.port;
        this.options.log.info({ worker: slot, workerPid: worker.process.pid }, `relay process ${slot} ready`);
        if (this.state === 'starting' && this.ready.size === this.options.count) {
          this.state = 'running';
          this.onStarted?.resolve(this.port);
          this.onStarted = null;
        }
        return;
      case 'gather':
        void this.gather(message.kind, message.arg).then(
          (values) => this.send(worker, { kcr: 'gathered', id: message.id, values }),
          (err: Error) => this.send(worker, { kcr: 'gathered', id: message.id, error: err.message }),
        );
        return;
      case 'collected': {
        const gather = this.gathers.get(message.id);
        if (gather?.waiting.has(slot)) gather.answer(slot, message.value, message.error);
        return;
      }
    }
  }

  /** The replica's answer to a read: merged metrics (one value), or every process's answer. */
  private async gather(kind: GatherKind, arg: unknown): Promise<unknown[]> {
    if (kind !== 'metrics') return [...(await this.collect(kind, arg)).values()];
    const merged = await this.mergedMetrics();
    return [arg === 'text' ? await merged.metrics() : await merged.getMetricsAsJSON()];
  }

  private async readMetrics(): Promise<Registry> {
    await this.collect('metrics', undefined, (slot, value) => this.metrics.record(slot, value as MetricsJson));
    return this.metrics.merge();
  }

  /** Asks every ready process; resolves with their answers by slot (a process that exits meanwhile is left out). */
  private collect(kind: GatherKind, arg: unknown, onValue?: (slot: number, value: unknown) => void): Promise<Map<number, unknown>> {
    const id = ++this.nextGatherId;
    return new Promise((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.gathers.delete(id);
        if (err) reject(err);
        else resolve(gather.values);
      };
      const gather: Gather = {
        waiting: new Set(this.ready),
        values: new Map(),
        answer: (slot, value, error) => {
          if (error !== undefined) return finish(new Error(`relay process ${slot} could not answer: ${error}`));
          gather.waiting.delete(slot);
          gather.values.set(slot, value);
          onValue?.(slot, value);
          if (gather.waiting.size === 0) finish();
        },
        drop: (slot) => {
          if (gather.waiting.delete(slot) && gather.waiting.size === 0) finish();
        },
      };
      const timer = setTimeout(
        () => finish(new Error(`relay process ${[...gather.waiting].join(', ')} did not answer within ${this.gatherTimeoutMs} ms`)),
        this.gatherTimeoutMs,
      );
      this.gathers.set(id, gather);
      for (const slot of gather.waiting) this.send(this.slots[slot]!, { kcr: 'collect', id, kind, ...(arg === undefined ? {} : { arg }) });
      if (gather.waiting.size === 0) finish();
    });
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slotOf.get(worker.id);
    if (slot === undefined) return;
    this.slotOf.delete(worker.id);
    if (this.slots[slot] === worker) this.slots[slot] = null;
    const wasReady = this.ready.delete(slot);
    this.metrics.retire(slot);
    for (const g of [...this.gathers.values()]) g.drop(slot);
    const workerPid = worker.process.pid;
    const { log } = this.options;
    if (this.state === 'stopping') {
      // One that was serving and did not drain cleanly (SHUTDOWN_TIMEOUT) makes the exit 1.
      if (wasReady && code !== 0 && this.exitCode === 0) this.exitCode = 1;
      this.checkStopped();
    } else if (code === EXIT_CONFIG || this.state === 'starting') {
      log.fatal({ worker: slot, workerPid, code, signal }, `relay process ${slot} exited during start-up; stopping the others`);
      void this.stop(code === EXIT_CONFIG ? EXIT_CONFIG : 1);
    } else if (!this.budget.take()) {
      log.fatal(
        { worker: slot, workerPid, code, signal },
        `relay process ${slot} died, more than ${this.budget.max} restarts within ${this.budget.windowMs / 1000} s; stopping the others`,
      );
      void this.stop(1);
    } else {
      log.error({ worker: slot, workerPid, code, signal }, `relay process ${slot} died; restarting it`);
      this.restarts.inc();
      this.fork(slot);
    }
  }

  private checkStopped(): void {
    if (this.state === 'stopping' && this.slots.every((w) => w === null)) this.onStopped?.(this.exitCode);
  }
}
