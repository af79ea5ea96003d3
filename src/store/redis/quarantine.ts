// Quarantined bodies (Redis): a stream bounded by count and by bytes (lua/quarantineBody-2.lua),
// newest read first.
import type { Redis } from 'ioredis';
import type { BufferPolicy, QuarantinedBody, QuarantineRecord } from '../event-store.js';
import type { PartitionKeys } from './keys.js';
import { fieldsOf, redisCall, type RawEntry } from '../../backend/redis/redis-call.js';

interface LuaCommands {
  quarantineBody(...args: Array<string | number>): Promise<number>;
}

export class RedisQuarantine {
  constructor(
    private readonly redis: Redis,
    private readonly keys: PartitionKeys,
    private readonly policy: BufferPolicy,
  ) {}

  async quarantine(record: QuarantineRecord): Promise<number> {
    const lua = this.redis as unknown as LuaCommands;
    return redisCall(() =>
      lua.quarantineBody(
        this.keys.quarantine,
        this.keys.stats,
        this.policy.capacity,
        this.policy.quarantineMaxBytes,
        'node',
        record.node,
        'receivedAt',
        record.receivedAt,
        'remoteAddress',
        record.remoteAddress,
        'errorCode',
        record.errorCode,
        'errorMessage',
        record.errorMessage,
        'body',
        record.body.toString('base64'),
      ),
    );
  }

  async listQuarantine(count: number): Promise<QuarantinedBody[]> {
    const raw = (await redisCall(() => this.redis.xrevrange(this.keys.quarantine, '+', '-', 'COUNT', count))) as RawEntry[];
    return raw.flatMap(([id, fields]) => {
      if (!fields) return [];
      const f = fieldsOf(fields);
      return [
        {
          id,
          node: f.node ?? '',
          receivedAt: f.receivedAt ?? '',
          remoteAddress: f.remoteAddress ?? '',
          errorCode: f.errorCode ?? '',
          errorMessage: f.errorMessage ?? '',
          body: Buffer.from(f.body ?? '', 'base64'),
        },
      ];
    });
  }
}
