// Catch-up sources (Redis): one hash per source, its lease (owner, leaseUntil) beside its poller's
// parts (part:<name>), taken and saved by lua/leaseSource-1.lua and lua/saveSource-1.lua under the
// lease rules replay jobs follow (lua/includes/lease.lua).
import type { Redis } from 'ioredis';
import type { SourceRecord, SourceStore } from '../event-store.js';
import { sourceKey } from './keys.js';
import { fieldsOf, redisCall } from '../../backend/redis/redis-call.js';

interface LuaCommands {
  leaseSource(...args: Array<string | number>): Promise<string[]>;
  saveSource(...args: Array<string | number>): Promise<number>;
}

const PART = 'part:';

export class RedisSources implements SourceStore {
  private readonly lua: LuaCommands;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    this.lua = redis as unknown as LuaCommands;
  }

  async leaseSource(name: string, owner: string, nowMs: number, leaseUntil: number): Promise<SourceRecord> {
    const fields = fieldsOf(await redisCall(() => this.lua.leaseSource(sourceKey(this.prefix, name), owner, nowMs, leaseUntil)));
    const parts: Record<string, string> = {};
    for (const [field, value] of Object.entries(fields)) if (field.startsWith(PART)) parts[field.slice(PART.length)] = value;
    return { owner: fields.owner ?? null, leaseUntil: Number(fields.leaseUntil ?? 0), parts };
  }

  async saveSource(name: string, owner: string, leaseUntil: number, parts: Record<string, string>): Promise<boolean> {
    const saved = await redisCall(() =>
      this.lua.saveSource(sourceKey(this.prefix, name), owner, leaseUntil, ...Object.entries(parts).flat()),
    );
    return saved === 1;
  }
}
