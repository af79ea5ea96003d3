// Blocking reads (XREADGROUP BLOCK) get a connection per consumer group: on a shared connection they
// would queue behind each other, and behind them every other command.
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { logConnectionErrors, waitReady, type RedisClient } from './connect.js';

export class BlockingConnections {
  private readonly byGroup = new Map<string, RedisClient>();

  constructor(
    private readonly client: RedisClient,
    private readonly log?: FastifyBaseLogger,
  ) {}

  async for(group: string, blockMs: number): Promise<Redis> {
    let client = this.byGroup.get(group);
    if (!client) {
      const options = { commandTimeout: blockMs + 2_000 };
      client = 'nodes' in this.client ? this.client.duplicate(undefined, { redisOptions: options }) : this.client.duplicate(options);
      if (this.log) logConnectionErrors(client, this.log);
      this.byGroup.set(group, client);
    }
    // A new connection refuses commands until ready (no offline queue): give it the time to connect.
    if (client.status !== 'ready') await waitReady(client, blockMs + 2_000);
    return client as Redis;
  }

  /**
   * Disconnects at once: a read still blocked on a quiet partition would hold QUIT for its whole
   * BLOCK time. Whatever such a read was handed stays pending for this consumer, resumed at its
   * next start (or claimed by another replica).
   */
  async close(): Promise<void> {
    for (const c of this.byGroup.values()) c.disconnect();
  }
}
