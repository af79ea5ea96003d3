// The application-node side of cluster logout (docs/logout.md): hears the relay's logout messages
// over Redis pub/sub, and checks tokens against the durable revocation state. Pub/sub is
// fire-and-forget: messages published while a node is disconnected are lost to it, so after every
// reconnection the client emits `resync`, and the node re-checks what it holds with isRevoked.
import { Cluster, Redis } from 'ioredis';
import { LOGOUT_KINDS, allRealmsChannel, realmChannel, type LogoutKind, type LogoutMessage } from '../logout/message.js';
import { isRevokedInRedis } from '../logout/redis/revocation-check.js';
import type { RevocationClaims } from '../logout/revocation.js';

export interface LogoutClientOptions {
  /** A `redis://`/`rediss://` URL, or an ioredis client (standalone or Cluster) to reuse for checks. */
  redis: string | Redis | Cluster;
  /** The relay's KEY_PREFIX. */
  keyPrefix?: string;
  /** Hear only this realm (channel `<prefix>logout:<realmId>`); also the default realm of isRevoked. */
  realmId?: string;
}

/** Claims to check; `realmId` defaults to the client's. */
export type TokenClaims = Omit<RevocationClaims, 'realmId'> & { realmId?: string };

export type MessageOfKind<K extends LogoutKind> = LogoutMessage & { kind: K };

interface Events {
  session: (message: MessageOfKind<'session'>) => unknown;
  user: (message: MessageOfKind<'user'>) => unknown;
  client: (message: MessageOfKind<'client'>) => unknown;
  realm: (message: MessageOfKind<'realm'>) => unknown;
  /** Every message, whatever its kind. */
  message: (message: LogoutMessage) => unknown;
  /** Subscribed again after a disconnection: messages may have been missed, re-check with isRevoked. */
  resync: () => unknown;
  /** Connection errors, unreadable messages, handlers that threw or rejected. */
  error: (err: Error) => unknown;
}

type Handler = (...args: never[]) => unknown;

export class LogoutClient {
  private readonly handlers = new Map<keyof Events, Set<Handler>>();
  private readonly commands: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  private readonly ownsCommands: boolean;
  private readonly prefix: string;
  private readonly channel: string;
  private subscribedOnce = false;
  private lostSubscriber = false;
  private closed = false;
  /** Settles once the first subscription is confirmed and checks can run (waits for Redis). */
  readonly ready: Promise<void>;

  constructor(private readonly options: LogoutClientOptions) {
    this.prefix = options.keyPrefix ?? 'kcr:';
    this.channel = options.realmId === undefined ? allRealmsChannel(this.prefix) : realmChannel(this.prefix, options.realmId);
    // A check must fail fast while Redis is away (the caller decides to fail open or closed), not queue.
    this.ownsCommands = typeof options.redis === 'string';
    this.commands =
      typeof options.redis === 'string'
        ? new Redis(options.redis, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 2_000 })
        : options.redis;
    this.commands.on('error', (err: Error) => this.fail(err));

    let confirm!: () => void;
    const subscribed = new Promise<void>((resolve) => (confirm = resolve));
    this.ready = Promise.all([subscribed, this.commandsReady()]).then(() => undefined);
    if (this.commands instanceof Cluster) {
      // Sharded pub/sub: ioredis keeps one subscriber per shard and resubscribes when shards change.
      const sub = this.commands.duplicate(undefined, { shardedSubscribers: true });
      sub.on('smessage', (_channel: string, text: string) => this.dispatch(text));
      sub.on('-subscriber', () => (this.lostSubscriber = true));
      sub.on('subscribersReady', () => {
        if (this.lostSubscriber) {
          this.lostSubscriber = false;
          this.resync();
        }
      });
      sub.on('error', (err: Error) => this.fail(err));
      sub.ssubscribe(this.channel).then(
        () => confirm(),
        (err: Error) => this.fail(err),
      );
      this.subscriber = sub;
    } else {
      // Subscribing by hand on every `ready` (not ioredis's autoResubscribe): `resync` then comes
      // only once Redis has confirmed the subscription, so no message can fall between the two.
      const sub = this.commands.duplicate({ autoResubscribe: false, enableOfflineQueue: true, lazyConnect: false });
      sub.on('message', (_channel: string, text: string) => this.dispatch(text));
      sub.on('error', (err: Error) => this.fail(err));
      sub.on('ready', () => {
        sub.subscribe(this.channel).then(
          () => {
            if (this.subscribedOnce) this.resync();
            this.subscribedOnce = true;
            confirm();
          },
          (err: Error) => this.fail(err),
        );
      });
      this.subscriber = sub;
    }
  }

  on<E extends keyof Events>(event: E, handler: Events[E]): this {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return this;
  }

  off<E extends keyof Events>(event: E, handler: Events[E]): this {
    this.handlers.get(event)?.delete(handler);
    return this;
  }

  /**
   * Whether a token with these claims was revoked: one Redis round trip; rejects while Redis is
   * unreachable. Pass the token's `iss` too to see back-channel logouts recorded under its realm name.
   */
  isRevoked(claims: TokenClaims): Promise<boolean> {
    const realmId = claims.realmId ?? this.options.realmId ?? null;
    if (realmId === null && !claims.iss)
      return Promise.reject(new TypeError('isRevoked needs claims.realmId or claims.iss (or the client option realmId)'));
    return isRevokedInRedis(this.commands, this.prefix, { ...claims, realmId });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    const clients = this.ownsCommands ? [this.subscriber, this.commands] : [this.subscriber];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  /** Emits `resync` once checks can run too: the command connection reconnects on its own schedule. */
  private resync(): void {
    void this.commandsReady().then(() => this.emit('resync'));
  }

  private commandsReady(): Promise<void> {
    if (this.commands.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => this.commands.once('ready', () => resolve()));
  }

  private dispatch(text: string): void {
    let message: LogoutMessage;
    try {
      message = JSON.parse(text) as LogoutMessage;
    } catch {
      this.fail(new Error(`unreadable logout message: ${text.slice(0, 200)}`));
      return;
    }
    // Kinds added later reach `message` handlers only.
    if ((LOGOUT_KINDS as readonly string[]).includes(message.kind)) this.emit(message.kind, message);
    this.emit('message', message);
  }

  private emit(event: keyof Events, arg?: unknown): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        const result = (handler as (a: unknown) => unknown)(arg);
        if (result instanceof Promise) result.catch((err: unknown) => this.fail(asError(err)));
      } catch (err) {
        this.fail(asError(err));
      }
    }
  }

  private fail(err: Error): void {
    if (this.closed) return;
    const handlers = this.handlers.get('error');
    if (!handlers || handlers.size === 0) {
      // Never thrown at the caller's event loop: an app node must not crash because Redis blinked.
      process.emitWarning(err.message, { code: 'KCR_LOGOUT_CLIENT' });
      return;
    }
    for (const handler of handlers) (handler as (e: Error) => unknown)(err);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Connects and subscribes; resolves once the subscription is confirmed. */
export async function createLogoutClient(options: LogoutClientOptions): Promise<LogoutClient> {
  const client = new LogoutClient(options);
  await client.ready;
  return client;
}
