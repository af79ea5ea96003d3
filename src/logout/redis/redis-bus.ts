// The Redis logout bus: revocation keys and pub/sub on `<prefix>logout` and `<prefix>logout:<realm>`.
// Standalone Redis records and publishes in one Lua step (revokeAndPublish-1.lua); Redis Cluster
// records with the same script, then SPUBLISHes, since the channels hash to other slots.
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../backend/redis/connect.js';
import { defineLuaCommands } from '../../backend/redis/lua-commands.js';
import { asStoreError, redisCall } from '../../backend/redis/redis-call.js';
import type { LogoutBus, OnceMarker } from '../bus.js';
import { allRealmsChannel, realmChannel, type LogoutMessage } from '../message.js';
import { revocationOf, type Revocation, type RevocationClaims, type StoredRevocation } from '../revocation.js';
import { realmKeyBase, revocationKey } from './keys.js';
import { isRevokedInRedis } from './revocation-check.js';

interface LuaCommands {
  revokeAndPublish(key: string, notBefore: number, ttlMs: number, nowMs: number, message: string, ...channels: string[]): Promise<number>;
  revokeAndPublishOnce(
    marker: string,
    key: string,
    notBefore: number,
    ttlMs: number,
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
          this.revocationTtlMs,
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
      this.revocationTtlMs,
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

  /**
   * SCAN for the realm's keys (on every primary of a Cluster: the realm's slot lives on one of
   * them), then one pipeline for their values and expiries: the keys share the realm's slot.
   */
  async listRevocations(realmId: string, limit: number): Promise<StoredRevocation[]> {
    const base = realmKeyBase(this.prefix, realmId);
    const keys = (await redisCall(() => scanAll(this.client, `${globEscaped(base)}*`))).filter((key) => !key.startsWith(`${base}once:`));
    if (keys.length === 0) return [];
    const now = Date.now();
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.get(key).pttl(key);
    const replies = await redisCall(async () => (await pipeline.exec()) ?? []);
    const found: StoredRevocation[] = [];
    keys.forEach((key, i) => {
      const [valueError, value] = replies[2 * i] ?? [null, null];
      const [ttlError, ttl] = replies[2 * i + 1] ?? [null, 0];
      if (valueError || ttlError) throw asStoreError(valueError ?? ttlError);
      // Expired between the SCAN and the read.
      if (value === null) return;
      found.push({ realmId, scope: key.slice(base.length), notBefore: Number(value), expiresAt: now + Math.max(0, Number(ttl)) });
    });
    return found.sort((a, b) => b.notBefore - a.notBefore || a.scope.localeCompare(b.scope)).slice(0, limit);
  }

  async liftRevocation(realmId: string, scope: string): Promise<Revocation | null> {
    const value = await redisCall(() => this.client.getdel(realmKeyBase(this.prefix, realmId) + scope));
    return value === null ? null : { realmId, scope, notBefore: Number(value) };
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Every key matching `pattern`, on a standalone Redis or on each primary of a Cluster. */
async function scanAll(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = 'nodes' in client ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** `text` matched literally by a SCAN/KEYS pattern. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
