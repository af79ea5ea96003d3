// Replays (a time or uid range still in the ring buffer, re-delivered to one destination) and
// redrives (a destination's dead letters, re-sent) run as background jobs with progress counts. A
// job lives in the store (JobStore), not in the memory of the replica running it: any replica
// answers for it, and a job whose replica died (or stopped) is taken over by another, or by the
// same one restarted, from its last checkpoint: the last page done, with the counts up to it. What
// the checkpoint had not covered is delivered again (at least once, as everywhere).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { LineBudget } from '../log.js';
import type { EventStore, StoredEntry } from '../store/event-store.js';
import type { DestinationWorker } from './destination-worker.js';

/** A bound of a replay range: an ISO time (compared with receivedAt) or a uid. */
export type RangeBound = { time: number } | { uid: bigint };

export interface JobStatus {
  id: string;
  kind: 'replay' | 'redrive';
  destination: string;
  state: 'running' | 'done' | 'failed';
  /** Entries to look at, as known when the job started (buffer length, or dead letters). */
  total: number;
  /** Entries looked at (replay: buffer entries scanned; redrive: dead letters). */
  scanned: number;
  matched: number;
  delivered: number;
  deadLettered: number;
  error?: string;
  startedAt: string;
  finishedAt?: string;
  /** The consumer name of the replica running it (or that ran it last). */
  replica: string;
  /** Times another replica (or this one restarted) took it over from its checkpoint. */
  resumed: number;
}

type Counts = Pick<JobStatus, 'scanned' | 'matched' | 'delivered' | 'deadLettered'>;

/** Where a replica taking the job over starts: after `cursor` (null: the beginning), with these counts. */
interface Checkpoint extends Counts {
  cursor: string | null;
}

/** A range bound as JSON keeps it: a uid as decimal text, never a JS number. */
type StoredBound = { time: number } | { uid: string };

/** What the store keeps of a job (JobRecord.data). */
interface JobData {
  status: JobStatus;
  range: { from: StoredBound | null; to: StoredBound | null };
  checkpoint: Checkpoint;
}

export interface ReplayJobsOptions {
  store: EventStore;
  /** This replica's worker of a destination (the forwarder's); undefined when not configured here. */
  worker: (destination: string) => DestinationWorker | undefined;
  /** This replica's consumer name: stable across its restarts, so that it takes its own jobs back at once. */
  owner: string;
  /** A job whose replica has not saved it for this long is taken over by another. */
  leaseMs: number;
  log: FastifyBaseLogger;
  /** How often a running job's progress is saved, renewing its lease (default 1 s). */
  saveEveryMs?: number;
}

/** Entries (or dead letters) per checkpoint: what a replica taking over may deliver again. */
const PAGE = 100;

class StoppedError extends Error {}
class LeaseLostError extends Error {}

/** A job this replica runs: its data, saved one write at a time. */
class RunningJob {
  lost = false;
  saving: Promise<boolean> = Promise.resolve(true);
  constructor(readonly data: JobData) {}

  get status(): JobStatus {
    return this.data.status;
  }
}

const countsOf = ({ scanned, matched, delivered, deadLettered }: Counts): Counts => ({ scanned, matched, delivered, deadLettered });

function inRange(entry: StoredEntry, from: StoredBound | null, to: StoredBound | null): boolean {
  const check = (bound: StoredBound, sign: 1 | -1): boolean => {
    if ('time' in bound) return sign * (Date.parse(entry.event.receivedAt) - bound.time) >= 0;
    const uid = BigInt(entry.event.uid);
    return sign === 1 ? uid >= BigInt(bound.uid) : uid <= BigInt(bound.uid);
  };
  return (from === null || check(from, 1)) && (to === null || check(to, -1));
}

const stored = (bound: RangeBound | null): StoredBound | null =>
  bound === null ? null : 'time' in bound ? { time: bound.time } : { uid: bound.uid.toString() };

export class ReplayJobs {
  private readonly running = new Map<string, RunningJob>();
  private readonly tasks = new Set<Promise<void>>();
  private watcher: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(private readonly options: ReplayJobsOptions) {}

  /** Takes over the jobs left by dead replicas (and this one's own, after a restart), now and every lease/3. */
  start(): void {
    // While the store is away every look fails: a line a minute, with the count.
    const failures = new LineBudget(60_000);
    // One look at a time: the store hands a replica back a job of its own name that the look's
    // caller does not run, so a second look sent before the first one's job was launched here
    // would take that job again and run it twice (a slow store made looks overlap).
    let looking = false;
    const watch = (): void => {
      if (looking) return;
      looking = true;
      this.takeOver()
        .catch((err: unknown) => {
          const failed = failures.add();
          if (failed !== null) this.options.log.warn({ err: (err as Error).message, failed }, 'could not look for jobs to take over');
        })
        .finally(() => {
          looking = false;
        });
    };
    watch();
    this.watcher = setInterval(watch, Math.max(this.options.leaseMs / 3, 100));
  }

  /**
   * Stops taking jobs over, and has the running ones stop at their next step; resolves once each
   * has let its lease go at its checkpoint (another replica, or this one restarted, resumes it).
   * The forwarder's stop ends the deliveries they wait on.
   */
  stop(): Promise<void> {
    this.stopping = true;
    if (this.watcher) clearInterval(this.watcher);
    return Promise.all(this.tasks).then(() => undefined);
  }

  /** The job as this replica runs it, else as the store has it (any replica's). */
  async get(id: string): Promise<JobStatus | undefined> {
    const here = this.running.get(id);
    if (here) return here.status;
    const data = await this.options.store.getJob(id);
    return data === null ? undefined : (JSON.parse(data) as JobData).status;
  }

  async replay(worker: DestinationWorker, from: RangeBound | null, to: RangeBound | null): Promise<JobStatus> {
    return this.create(worker, 'replay', { from: stored(from), to: stored(to) }, await this.options.store.bufferLength());
  }

  async redrive(worker: DestinationWorker): Promise<JobStatus> {
    const { deadLetters } = await this.options.store.groupState(worker.name);
    return this.create(worker, 'redrive', { from: null, to: null }, deadLetters);
  }

  /** Recorded in the store before it starts (and before the 202): from then on it outlives this replica. */
  private async create(worker: DestinationWorker, kind: JobStatus['kind'], range: JobData['range'], total: number): Promise<JobStatus> {
    const none = { scanned: 0, matched: 0, delivered: 0, deadLettered: 0 };
    const status: JobStatus = {
      id: randomUUID(),
      kind,
      destination: worker.name,
      state: 'running',
      total,
      ...none,
      startedAt: new Date().toISOString(),
      replica: this.options.owner,
      resumed: 0,
    };
    const job = new RunningJob({ status, range, checkpoint: { cursor: null, ...none } });
    await this.options.store.createJob(
      { id: status.id, data: JSON.stringify(job.data) },
      this.options.owner,
      Date.now() + this.options.leaseMs,
    );
    this.launch(worker, job);
    return { ...status };
  }

  /** Claims every job there is to take over, one at a time, and resumes each from its checkpoint. */
  private async takeOver(): Promise<void> {
    const { store, owner, leaseMs, log } = this.options;
    while (!this.stopping) {
      const now = Date.now();
      const record = await store.claimJob(owner, now, now + leaseMs, [...this.running.keys()]);
      if (!record) return;
      const data = JSON.parse(record.data) as JobData;
      const { status, checkpoint } = data;
      log.warn(
        { job: status.id, kind: status.kind, destination: status.destination, from: status.replica, cursor: checkpoint.cursor },
        'taking over a replay or redrive job from its last checkpoint',
      );
      Object.assign(status, countsOf(checkpoint), { replica: owner, resumed: status.resumed + 1 });
      const job = new RunningJob(data);
      const worker = this.options.worker(status.destination);
      if (worker) {
        this.launch(worker, job);
      } else {
        await this.finish(job, `destination "${status.destination}" is not configured on replica ${owner}, which took the job over`);
      }
    }
  }

  private launch(worker: DestinationWorker, job: RunningJob): void {
    this.running.set(job.status.id, job);
    const saving = setInterval(() => void this.save(job, true), this.options.saveEveryMs ?? 1_000);
    const task = this.run(worker, job).finally(() => {
      clearInterval(saving);
      this.running.delete(job.status.id);
      this.tasks.delete(task);
    });
    this.tasks.add(task);
  }

  private async run(worker: DestinationWorker, job: RunningJob): Promise<void> {
    try {
      await (job.status.kind === 'replay' ? this.replayPages(worker, job) : this.redrivePages(worker, job));
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.options.log.warn({ job: job.status.id }, 'another replica took this replay or redrive job over: stopped here');
        return;
      }
      // Stopping (a shutdown): the lease goes at once, the checkpoint stays.
      if (err instanceof StoppedError) {
        await this.save(job, true, { release: true });
        return;
      }
      await this.finish(job, (err as Error).message);
      return;
    }
    await this.finish(job, null);
  }

  private async finish(job: RunningJob, error: string | null): Promise<void> {
    job.status.state = error === null ? 'done' : 'failed';
    if (error !== null) job.status.error = error;
    job.status.finishedAt = new Date().toISOString();
    await this.save(job, false);
  }

  private async replayPages(worker: DestinationWorker, job: RunningJob): Promise<void> {
    const { status, range } = job.data;
    for (;;) {
      this.goOn(job);
      const page = await this.options.store.scan(job.data.checkpoint.cursor, PAGE);
      if (page.length === 0) return;
      // Up to the destination's concurrency in flight, as its worker delivers: oldest first, roughly.
      const matching = page.filter((entry) => inRange(entry, range.from, range.to) && worker.wants(entry));
      status.scanned += page.length;
      status.matched += matching.length;
      await forEachConcurrently(matching, worker.destination.concurrency, async (entry) => {
        this.goOn(job);
        const outcome = await worker.deliverWithRetries(entry, (result, attempts) =>
          worker.keepDeadLetter(entry, { attempts, lastStatus: result.status, lastError: result.error }),
        );
        if (outcome === 'stopped') throw new StoppedError();
        status[outcome === 'delivered' ? 'delivered' : 'deadLettered'] += 1;
      });
      await this.checkpoint(job, (page.at(-1) as StoredEntry).id);
    }
  }

  /** A letter delivered now is removed; one that fails again stays where it is, with its history. */
  private async redrivePages(worker: DestinationWorker, job: RunningJob): Promise<void> {
    const { status } = job.data;
    for (;;) {
      this.goOn(job);
      const letters = await this.options.store.listDeadLetters(worker.name, PAGE, job.data.checkpoint.cursor);
      if (letters.length === 0) return;
      for (const letter of letters) {
        this.goOn(job);
        status.scanned += 1;
        status.matched += 1;
        const entry: StoredEntry = { id: letter.id, uid: letter.event.uid, event: letter.event, body: letter.body, deliveries: 0 };
        const outcome = await worker.deliverWithRetries(entry, async () => {});
        if (outcome === 'stopped') throw new StoppedError();
        if (outcome === 'delivered') await this.options.store.removeDeadLetters(worker.name, [letter.id]);
        status[outcome === 'delivered' ? 'delivered' : 'deadLettered'] += 1;
        // Saved with the next save (at most saveEveryMs later): letters are handled one by one.
        job.data.checkpoint = { cursor: letter.id, ...countsOf(status) };
      }
      await this.checkpoint(job, (letters.at(-1) as { id: string }).id);
    }
  }

  private async checkpoint(job: RunningJob, cursor: string): Promise<void> {
    job.data.checkpoint = { cursor, ...countsOf(job.status) };
    if (!(await this.save(job, true))) throw new LeaseLostError();
  }

  /** Throws when the job must not take another step here: the replica is stopping, or another one holds it. */
  private goOn(job: RunningJob): void {
    if (job.lost) throw new LeaseLostError();
    if (this.stopping) throw new StoppedError();
  }

  /**
   * Saves the job as it is when the write goes out, one write at a time (so the latest state wins),
   * renewing its lease (or letting it go). False once another replica holds it: this one stops. A
   * store failure is logged and tried again by the next save; if the lease lapses meanwhile,
   * another replica may take the job over, and this one learns it at its next save.
   */
  private save(job: RunningJob, running: boolean, { release = false } = {}): Promise<boolean> {
    const { store, owner, leaseMs, log } = this.options;
    job.saving = job.saving.then(async () => {
      if (job.lost) return false;
      const now = Date.now();
      try {
        const held = await store.saveJob(
          { id: job.status.id, data: JSON.stringify(job.data) },
          owner,
          running,
          release ? 0 : now + leaseMs,
          now,
        );
        job.lost = !held;
        return held;
      } catch (err) {
        log.warn(
          { job: job.status.id, err: (err as Error).message },
          'replay or redrive job progress not saved; retrying with the next save',
        );
        return true;
      }
    });
    return job.saving;
  }
}

/** Runs `work` over `items` with at most `limit` at a time; the first failure stops the rest and is thrown. */
async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
