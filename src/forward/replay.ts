// Replays (a time or uid range still in the ring buffer, re-delivered to one destination) and
// redrives (a destination's dead letters, re-sent) run as background jobs with progress counts.
import { randomUUID } from 'node:crypto';
import type { EventStore, StoredEntry } from '../store/event-store.js';
import type { DestinationWorker } from './destination-worker.js';

/** A bound of a replay range: an ISO time (compared with receivedAt) or a uid. */
export type RangeBound = { time: number } | { uid: bigint };

export interface JobStatus {
  id: string;
  kind: 'replay' | 'redrive';
  destination: string;
  state: 'running' | 'done' | 'stopped' | 'failed';
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
}

const PAGE = 500;
const KEEP_FINISHED = 100;

function inRange(entry: StoredEntry, from: RangeBound | null, to: RangeBound | null): boolean {
  const check = (bound: RangeBound, sign: 1 | -1): boolean => {
    if ('time' in bound) return sign * (Date.parse(entry.event.receivedAt) - bound.time) >= 0;
    const uid = BigInt(entry.event.uid);
    return sign === 1 ? uid >= bound.uid : uid <= bound.uid;
  };
  return (from === null || check(from, 1)) && (to === null || check(to, -1));
}

export class ReplayJobs {
  private readonly jobs = new Map<string, JobStatus>();

  constructor(private readonly store: EventStore) {}

  get(id: string): JobStatus | undefined {
    return this.jobs.get(id);
  }

  replay(worker: DestinationWorker, from: RangeBound | null, to: RangeBound | null): JobStatus {
    const job = this.create('replay', worker.name);
    void this.run(job, async () => {
      job.total = await this.store.bufferLength();
      let cursor: string | null = null;
      for (;;) {
        const page = await this.store.scan(cursor, PAGE);
        if (page.length === 0) return;
        cursor = page[page.length - 1]!.id;
        // Up to the destination's concurrency in flight, as its worker delivers: oldest first, roughly.
        const matching = page.filter((entry) => inRange(entry, from, to) && worker.wants(entry));
        job.scanned += page.length;
        job.matched += matching.length;
        await forEachConcurrently(matching, worker.destination.concurrency, async (entry) => {
          const outcome = await worker.deliverWithRetries(entry, (result, attempts) =>
            worker.keepDeadLetter(entry, { attempts, lastStatus: result.status, lastError: result.error }),
          );
          if (outcome === 'stopped') throw new StoppedError();
          job[outcome === 'delivered' ? 'delivered' : 'deadLettered'] += 1;
        });
      }
    });
    return job;
  }

  redrive(worker: DestinationWorker): JobStatus {
    const job = this.create('redrive', worker.name);
    void this.run(job, async () => {
      job.total = (await this.store.groupState(worker.name)).deadLetters;
      // A letter delivered now is removed; one that fails again stays where it is, with its history.
      let cursor: string | null = null;
      for (;;) {
        const letters = await this.store.listDeadLetters(worker.name, PAGE, cursor);
        if (letters.length === 0) return;
        cursor = letters[letters.length - 1]!.id;
        for (const letter of letters) {
          job.scanned += 1;
          job.matched += 1;
          const entry: StoredEntry = { id: letter.id, uid: letter.event.uid, event: letter.event, body: letter.body, deliveries: 0 };
          const outcome = await worker.deliverWithRetries(entry, async () => {});
          if (outcome === 'stopped') throw new StoppedError();
          if (outcome === 'delivered') await this.store.removeDeadLetters(worker.name, [letter.id]);
          job[outcome === 'delivered' ? 'delivered' : 'deadLettered'] += 1;
        }
      }
    });
    return job;
  }

  private create(kind: JobStatus['kind'], destination: string): JobStatus {
    const job: JobStatus = {
      id: randomUUID(),
      kind,
      destination,
      state: 'running',
      total: 0,
      scanned: 0,
      matched: 0,
      delivered: 0,
      deadLettered: 0,
      startedAt: new Date().toISOString(),
    };
    this.jobs.set(job.id, job);
    for (const [id, old] of this.jobs) {
      if (this.jobs.size <= KEEP_FINISHED) break;
      if (old.state !== 'running') this.jobs.delete(id);
    }
    return job;
  }

  private async run(job: JobStatus, work: () => Promise<void>): Promise<void> {
    try {
      await work();
      job.state = 'done';
    } catch (err) {
      job.state = err instanceof StoppedError ? 'stopped' : 'failed';
      if (!(err instanceof StoppedError)) job.error = (err as Error).message;
    }
    job.finishedAt = new Date().toISOString();
  }
}

class StoppedError extends Error {}

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
