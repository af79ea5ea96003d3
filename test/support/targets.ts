// The real RabbitMQ, NATS JetStream and PostgreSQL the destination tests write to (global-services.ts
// finds or starts them), and what a test needs to read back what the relay wrote. Every test works
// under its own names: exchange and queue, subject prefix and stream, table.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as connectSocket } from 'node:net';
import { promisify } from 'node:util';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { connect as amqpConnect, type ChannelModel } from 'amqplib';
import pg from 'pg';
import { inject } from 'vitest';

/** '' when the server is neither running nor installed: its tests skip (and fail under CI). */
export const AMQP_URL = inject('amqpUrl');
export const NATS_URL = inject('natsUrl');
export const POSTGRES_URL = inject('postgresUrl');

/** Whether something listens on the URL's port. */
export async function reachable(url: string): Promise<boolean> {
  if (!url) return false;
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connectSocket({ host: hostname, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** A name no other test (or parallel run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** The URL with its port replaced (to go through a TcpProxy). */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.port = String(port);
  return u.toString();
}

export const portOf = (url: string): number => Number(new URL(url).port);

/** A queue bound to every routing key of a topic exchange, and the messages it got. */
export class AmqpReader {
  readonly messages: Array<{ messageId: string; routingKey: string; body: string; properties: Record<string, unknown> }> = [];
  private model: ChannelModel | null = null;

  constructor(
    readonly exchange: string,
    readonly queue = `${exchange}.q`,
  ) {}

  async start(): Promise<void> {
    this.model = await amqpConnect(AMQP_URL);
    const channel = await this.model.createChannel();
    await channel.assertExchange(this.exchange, 'topic', { durable: true });
    await channel.assertQueue(this.queue, { durable: false, autoDelete: true });
    await channel.bindQueue(this.queue, this.exchange, '#');
    await channel.consume(
      this.queue,
      (message) => {
        if (!message) return;
        this.messages.push({
          messageId: String(message.properties.messageId),
          routingKey: message.fields.routingKey,
          body: message.content.toString('utf8'),
          properties: message.properties as unknown as Record<string, unknown>,
        });
      },
      { noAck: true },
    );
  }

  /** uid → times received. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
    return counts;
  }

  async close(): Promise<void> {
    const model = this.model;
    this.model = null;
    if (!model) return;
    const channel = await model.createChannel();
    await channel.deleteExchange(this.exchange).catch(() => undefined);
    await model.close().catch(() => undefined);
  }
}

/** rabbitmqctl against the broker on this machine (users and permissions for the refusing-target test). */
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const node = inject('amqpNode');
  const { stdout } = await promisify(execFile)('rabbitmqctl', [...(node ? ['-n', node] : []), ...args], { timeout: 60_000 });
  return stdout;
}

/** A JetStream stream capturing `<subject>.>`, and what it holds. */
export class NatsStream {
  private nc: NatsConnection | null = null;

  constructor(
    readonly subject: string,
    readonly stream = subject.replace(/\./g, '_').toUpperCase(),
  ) {}

  async connect(): Promise<NatsConnection> {
    this.nc ??= await natsConnect({ servers: new URL(NATS_URL).host });
    return this.nc;
  }

  async create(): Promise<void> {
    const jsm = await jetstreamManager(await this.connect());
    await jsm.streams.add({ name: this.stream, subjects: [`${this.subject}.>`], duplicate_window: 600_000_000_000 });
  }

  /** Every message's Nats-Msg-Id and subject, oldest first. */
  async messages(): Promise<Array<{ msgId: string; subject: string; body: string }>> {
    const nc = await this.connect();
    const jsm = await jetstreamManager(nc);
    const total = (await jsm.streams.info(this.stream)).state.messages;
    const out: Array<{ msgId: string; subject: string; body: string }> = [];
    if (total === 0) return out;
    const consumer = await jetstream(nc).consumers.get(this.stream);
    const batch = await consumer.fetch({ max_messages: total, expires: 5_000 });
    for await (const m of batch) {
      out.push({ msgId: m.headers?.get('Nats-Msg-Id') ?? '', subject: m.subject, body: m.string() });
      if (out.length >= total) break;
    }
    return out;
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    if (!nc) return;
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(this.stream).catch(() => undefined);
    await nc.close();
  }
}

/** One query on the test database. */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}
