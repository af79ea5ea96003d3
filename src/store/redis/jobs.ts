// Replay and redrive jobs (Redis): one hash per job under the `{jobs}` hash tag, a set of the running
// ones and a sorted set of the finished ones (lua/createJob-2.lua, saveJob-3.lua, claimJob-1.lua).
import type { Redis } from 'ioredis';
import { KEEP_FINISHED_JOBS, type JobRecord, type JobStore } from '../event-store.js';
import type { JobKeys } from './keys.js';
import { redisCall } from '../../backend/redis/redis-call.js';

interface LuaCommands {
  createJob(...args: Array<string | number>): Promise<number>;
  saveJob(...args: Array<string | number>): Promise<number>;
  claimJob(...args: Array<string | number>): Promise<[string, string] | null>;
}

export class RedisJobs implements JobStore {
  private readonly lua: LuaCommands;

  constructor(
    private readonly redis: Redis,
    private readonly keys: JobKeys,
  ) {
    this.lua = redis as unknown as LuaCommands;
  }

  async createJob(job: JobRecord, owner: string, leaseUntil: number): Promise<void> {
    await redisCall(() => this.lua.createJob(this.keys.jobPrefix + job.id, this.keys.running, job.id, job.data, owner, leaseUntil));
  }

  getJob(id: string): Promise<string | null> {
    return redisCall(() => this.redis.hget(this.keys.jobPrefix + id, 'data'));
  }

  async saveJob(job: JobRecord, owner: string, running: boolean, leaseUntil: number, nowMs: number): Promise<boolean> {
    const { jobPrefix, running: runningSet, finished } = this.keys;
    const saved = await redisCall(() =>
      this.lua.saveJob(
        jobPrefix + job.id,
        runningSet,
        finished,
        job.id,
        job.data,
        owner,
        running ? '1' : '0',
        leaseUntil,
        nowMs,
        KEEP_FINISHED_JOBS,
        jobPrefix,
      ),
    );
    return saved === 1;
  }

  async claimJob(owner: string, nowMs: number, leaseUntil: number, exclude: readonly string[]): Promise<JobRecord | null> {
    const claimed = await redisCall(() => this.lua.claimJob(this.keys.running, owner, nowMs, leaseUntil, this.keys.jobPrefix, ...exclude));
    return claimed ? { id: claimed[0], data: claimed[1] } : null;
  }
}
