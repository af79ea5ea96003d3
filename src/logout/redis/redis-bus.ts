// The Redis logout bus: revocation keys and pub/sub on `<prefix>logout` and `<prefix>logout:<realm>`.
// Standalone Redis records and publishes in one Lua step (revokeAndPublish-1.lua); Redis Cluster
// records with the same script, then SPUBLISHes, since the channels hash to other slots.
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../redis/connect.js';
import { defineLuaCommands } from '../../redis/lua-commands.js';
import type { LogoutBus, OnceMarker } from '../bus.js';
import { allRealmsChannel, realmChannel, type LogoutMessage } from '../message.js';
import { revocationOf, type RevocationClaims } from '../revocation.js';
import { realmKeyBase, revocationKey } from './keys.js';
import { isRevokedInRedis } from './revocation-check.js';

interface LuaCommands {
  revokeAndPublish(
    key: string,
    notBefore: number,
    expireAtMs: number,
    nowMs: number,
    message: string,
    ...channels: string[]
  ): Promise<number>;
  revokeAndPublishOnce(
    marker: string,
    key: string,
    notBefore: number,
    expireAtMs: number,
    nowMs: number,
    message: string,
    markerExpireAtMs: number,
    ...channels: string[]
  ): Promise<number>;
}

export class RedisLogoutBus implements LogoutBus {
  private readonly cluster: boolean;

  /** The bus owns `client`, and defines its Lua commands (./lua/) on it. */
  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly revocationTtlMs: number,
  ) {
    this.cluster = 'nodes' in client;
    defineLuaCommands(client, new URL('./lua/', import.meta.url));
  }

  /**
   * All of a batch's commands go out at once (pipelined on the connection, executed in order). In
   * Cluster mode every revocation is recorded before any message goes out, so a subscriber that
   * re-checks on receipt finds it.
   */
  async publish(messages: readonly LogoutMessage[], nowMs: number): Promise<void> {
    const lua = this.client as unknown as LuaCommands;
    const outgoing = messages.map((message) => ({
      json: JSON.stringify(message),
      channels: [allRealmsChannel(this.prefix), realmChannel(this.prefix, message.realmId)],
      revocation: revocationOf(message),
    }));
    await Promise.all(
      outgoing.map(({ json, channels, revocation }) =>
        lua.revokeAndPublish(
          revocationKey(this.prefix, revocation),
          revocation.notBefore,
          revocation.notBefore * 1000 + this.revocationTtlMs,
          nowMs,
          json,
          ...(this.cluster ? [] : channels),
        ),
      ),
    );
    if (this.cluster) {
      await Promise.all(
        outgoing.flatMap(({ json, channels }) => channels.map((channel) => (this.client as Redis).spublish(channel, json))),
      );
    }
  }

  /**
   * The marker lives in the realm's hash tag beside the revocation key, so one script sets both. In
   * Cluster mode a failed SPUBLISH takes the marker back: the failure is answered, and the same
   * token may be sent again.
   */
  async publishOnce(message: LogoutMessage, once: OnceMarker, nowMs: number): Promise<boolean> {
    const lua = this.client as unknown as LuaCommands;
    const json = JSON.stringify(message);
    const channels = [allRealmsChannel(this.prefix), realmChannel(this.prefix, message.realmId)];
    const revocation = revocationOf(message);
    const marker = `${realmKeyBase(this.prefix, message.realmId)}once:${once.key}`;
    const reached = await lua.revokeAndPublishOnce(
      marker,
      revocationKey(this.prefix, revocation),
      revocation.notBefore,
      revocation.notBefore * 1000 + this.revocationTtlMs,
      nowMs,
      json,
      once.expiresAtMs,
      ...(this.cluster ? [] : channels),
    );
    if (reached === -1) return false;
    if (this.cluster) {
      try {
        await Promise.all(channels.map((channel) => (this.client as Redis).spublish(channel, json)));
      } catch (err) {
        await this.client.del(marker).catch(() => undefined);
        throw err;
      }
    }
    return true;
  }

  isRevoked(claims: RevocationClaims): Promise<boolean> {
    return isRevokedInRedis(this.client, this.prefix, claims);
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
