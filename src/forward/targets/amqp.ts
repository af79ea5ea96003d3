// The RabbitMQ target: events published to a durable topic exchange on a confirm channel. An event
// counts as delivered only when the broker confirms it: a nack, a returned message (mandatory: no
// queue bound for its routing key) or a channel lost before the confirm fails it, to be retried.
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { StoredEntry } from '../../store/event-store.js';
import type { AmqpDestination } from '../destination.js';
import { eventTypeName } from '../filter.js';
import { routingKey } from './topic.js';
import {
  DELIVERED,
  failed,
  failedWith,
  LinkState,
  withPassword,
  withTimeout,
  type ConnectionState,
  type DeliveryResult,
  type Target,
} from './target.js';

interface Session {
  model: ChannelModel;
  channel: ConfirmChannel;
  /** message_ids the broker returned as unroutable, until their confirm is read. */
  returned: Set<string>;
  /** Why the channel or connection closed, once it has. */
  closed: string | null;
}

export class AmqpTarget implements Target {
  readonly batchSize: number;
  private session: Session | null = null;
  private opening: Promise<Session> | null = null;
  private readonly link = new LinkState();

  constructor(private readonly destination: AmqpDestination) {
    this.batchSize = destination.batchSize;
  }

  connection(): ConnectionState {
    return this.link.get();
  }

  async write(entries: readonly StoredEntry[]): Promise<DeliveryResult[]> {
    let session: Session;
    try {
      session = await this.open();
    } catch (err) {
      const result = failedWith(err);
      this.link.set('down', result.error);
      return entries.map(() => result);
    }
    const results: Array<DeliveryResult | undefined> = entries.map(() => undefined);
    const confirms = entries.map((entry, i) => this.publish(session, entry).then((r) => (results[i] = r)));
    try {
      await withTimeout(Promise.all(confirms), this.destination.timeoutMs, 'publisher confirm');
    } catch (err) {
      // Whatever the broker makes of the unconfirmed messages, they are sent again on a new channel.
      this.drop(session, (err as Error).message);
    }
    return results.map((r) => r ?? failed(`no publisher confirm within ${this.destination.timeoutMs} ms`));
  }

  async close(): Promise<void> {
    const session = this.session ?? (await this.opening?.catch(() => null));
    this.session = null;
    await session?.model.close().catch(() => undefined);
  }

  private async publish(session: Session, entry: StoredEntry): Promise<DeliveryResult> {
    const event = entry.event;
    const key = routingKey(this.destination.routingKey, event);
    // The socket's buffer is not waited on: a batch (at most 1000 events) is buffered whole.
    return new Promise<DeliveryResult>((resolve) => {
      try {
        session.channel.publish(
          this.destination.exchange,
          key,
          Buffer.from(entry.body),
          {
            persistent: true,
            mandatory: true,
            messageId: entry.uid,
            contentType: 'application/json',
            appId: 'kc-event-relay',
            timestamp: Math.floor((event.time ?? Date.parse(event.emittedAt)) / 1000),
            headers: { kind: event.kind, type: eventTypeName(event) },
          },
          (err: unknown) => {
            if (err)
              resolve(
                failed(session.closed ?? `broker refused the message (nack): ${err instanceof Error ? err.message : 'no reason given'}`),
              );
            else if (session.returned.delete(entry.uid)) resolve(failed(`unroutable: no queue bound to routing key "${key}" (returned)`));
            else resolve(DELIVERED);
          },
        );
      } catch (err) {
        resolve(failedWith(err));
      }
    });
  }

  /** The open session, or a new one (one connection attempt at a time). */
  private async open(): Promise<Session> {
    if (this.session && this.session.closed === null) return this.session;
    this.opening ??= this.connect().finally(() => {
      this.opening = null;
    });
    return (this.session = await this.opening);
  }

  private async connect(): Promise<Session> {
    const { destination } = this;
    this.link.set('connecting');
    const model = await withTimeout(
      connect(withPassword(destination.url, destination.passwordFile), {
        timeout: destination.timeoutMs,
        ...(destination.tls ? tlsOptions(destination.tls) : {}),
      }),
      destination.timeoutMs,
      'connecting',
    );
    let session: Session | null = null;
    const lost = (why: string) => {
      if (session) this.drop(session, why);
    };
    model.on('error', (err: Error) => lost(`connection error: ${err.message}`));
    model.on('close', (err?: Error) => lost(err ? `connection closed: ${err.message}` : 'connection closed'));
    try {
      const channel = await this.channel(model);
      session = { model, channel, returned: new Set(), closed: null };
      const current = session;
      channel.on('return', (message: { properties: { messageId?: string } }) => {
        if (message.properties.messageId) current.returned.add(message.properties.messageId);
      });
      channel.on('error', (err: Error) => lost(`channel error: ${err.message}`));
      channel.on('close', () => lost('channel closed'));
      this.link.set('up');
      return session;
    } catch (err) {
      await model.close().catch(() => undefined);
      throw err;
    }
  }

  /** A confirm channel on which the exchange is known to exist: looked up, declared (durable, topic) only when absent. */
  private async channel(model: ChannelModel): Promise<ConfirmChannel> {
    const { exchange } = this.destination;
    const probe = await model.createConfirmChannel();
    probe.on('error', () => undefined);
    try {
      await probe.checkExchange(exchange);
      return probe;
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    // A failed check closes its channel: the declaration needs a new one (and configure permission).
    const channel = await model.createConfirmChannel();
    channel.on('error', () => undefined);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    return channel;
  }

  /** Forgets a session that failed: the next write connects again; pending confirms fail with `why`. */
  private drop(session: Session, why: string): void {
    if (session.closed !== null) return;
    session.closed = why;
    this.link.set('down', why);
    if (this.session === session) this.session = null;
    void session.model.close().catch(() => undefined);
  }
}

function tlsOptions(tls: NonNullable<AmqpDestination['tls']>): Record<string, string> {
  const out: Record<string, string> = {};
  if (tls.ca) out.ca = tls.ca;
  if (tls.cert) out.cert = tls.cert;
  if (tls.key) out.key = tls.key;
  return out;
}
