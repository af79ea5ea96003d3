// Destinations of the `brokers` chaos scenario: a RabbitMQ exchange, a NATS JetStream stream and a
// PostgreSQL table on the machine's servers (.ci/run starts them), each reached by the relay through
// a TCP proxy the fault plan breaks: `down` drops every connection and refuses new ones, `hang`
// stalls them (no byte passes: confirms, PubAcks and INSERTs time out); the webhook faults 500 and
// 429 have no broker equivalent and cut the link too. Each sink reads back what reached its target
// with the same bookkeeping as a webhook sink (delivered, unexpected, duplicates), so the verdict
// treats all destinations alike; NATS and PostgreSQL must end with no duplicate at all.
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import pg from 'pg';
import { DeliveryRecord, recordDelivery } from './sinks.mjs';

export const SERVICE_URLS = {
  amqp: process.env.KCR_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  nats: process.env.KCR_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  postgres: process.env.KCR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** Which of the three servers do not answer on their port (the scenario needs all three). */
export async function missingServices() {
  const missing = [];
  for (const [kind, url] of Object.entries(SERVICE_URLS)) {
    const { hostname, port } = new URL(url);
    const ok = await new Promise((resolve) => {
      const socket = createConnection({ host: hostname, port: Number(port) }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (!ok) missing.push(`${kind} (${hostname}:${port})`);
  }
  return missing;
}

/** A TCP proxy on a stable port whose link can be cut (`down`) or stalled (`hang`). */
class LinkProxy {
  constructor(targetPort, port) {
    Object.assign(this, { targetPort, port });
    this.server = null;
    this.pairs = new Set();
    this.stalled = false;
  }

  async start() {
    const server = createServer((client) => {
      const upstream = createConnection({ port: this.targetPort, host: '127.0.0.1' });
      const pair = { client, upstream };
      this.pairs.add(pair);
      for (const s of [client, upstream]) {
        s.on('error', () => s.destroy());
        s.on('close', () => {
          this.pairs.delete(pair);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
      if (this.stalled) this.#stall(pair);
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  #stall({ client, upstream }) {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }

  async set(mode) {
    if (this.stalled && mode !== 'hang') {
      // A stalled connection is not resumed mid-stream: it is dropped, as a real hang ends in a reset.
      this.stalled = false;
      for (const { client } of this.pairs) client.destroy();
    }
    if (mode === 'hang') {
      this.stalled = true;
      for (const pair of this.pairs) this.#stall(pair);
      if (!this.server) await this.start();
    } else if (mode === 'ok') {
      if (!this.server) await this.start();
    } else {
      const server = this.server;
      this.server = null;
      for (const { client } of this.pairs) client.destroy();
      if (server) await new Promise((resolve) => server.close(() => resolve()));
    }
  }
}

class BrokerSink extends DeliveryRecord {
  constructor({ name, kind, port, registry, exactlyOnce }) {
    super(registry);
    Object.assign(this, { name, kind, exactlyOnce });
    this.proxy = new LinkProxy(Number(new URL(SERVICE_URLS[kind]).port), port);
    this.mode = 'ok';
  }

  /** The service's URL, through the proxy. */
  get url() {
    const url = new URL(SERVICE_URLS[this.kind]);
    url.port = String(this.proxy.port);
    return url.toString();
  }

  async set(mode) {
    this.mode = mode;
    await this.proxy.set(mode === 'ok' || mode === 'hang' ? mode : 'down');
  }
}

class RabbitSink extends BrokerSink {
  constructor(options) {
    super({ ...options, kind: 'amqp', exactlyOnce: false });
    this.exchange = `kcr.chaos.${process.pid}.${Date.now()}`;
  }

  get destination() {
    return { type: 'amqp', name: this.name, url: this.url, exchange: this.exchange };
  }

  async start() {
    await this.proxy.start();
    this.model = await amqpConnect(SERVICE_URLS.amqp);
    const channel = await this.model.createChannel();
    await channel.assertExchange(this.exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, this.exchange, '#');
    await channel.consume(queue, (m) => m && recordDelivery(this, String(m.properties.messageId), m.content.toString('utf8')), {
      noAck: true,
    });
  }

  async stop() {
    await this.proxy.set('down');
    if (!this.model) return;
    const channel = await this.model.createChannel().catch(() => null);
    await channel?.deleteExchange(this.exchange).catch(() => undefined);
    await this.model.close().catch(() => undefined);
    this.model = null;
  }
}

class NatsSink extends BrokerSink {
  constructor(options) {
    super({ ...options, kind: 'nats', exactlyOnce: true });
    this.subject = `kcrchaos${process.pid}${Date.now()}`;
    this.stream = this.subject.toUpperCase();
  }

  get destination() {
    return { type: 'nats', name: this.name, url: this.url, subject: this.subject };
  }

  async start() {
    await this.proxy.start();
    this.nc = await natsConnect({ servers: new URL(SERVICE_URLS.nats).host });
    const jsm = await jetstreamManager(this.nc);
    // A duplicate window longer than any run: every resend is dropped, so one message per uid is the promise.
    await jsm.streams.add({ name: this.stream, subjects: [`${this.subject}.>`], duplicate_window: 30 * 60 * 1e9 });
    const consumer = await jetstream(this.nc).consumers.get(this.stream);
    this.messages = await consumer.consume();
    this.reading = (async () => {
      for await (const m of this.messages) recordDelivery(this, m.headers?.get('Nats-Msg-Id') ?? '', m.string());
    })();
  }

  async stop() {
    await this.proxy.set('down');
    if (!this.nc) return;
    await this.messages?.close().catch(() => undefined);
    await (await jetstreamManager(this.nc)).streams.delete(this.stream).catch(() => undefined);
    await this.nc.close();
    this.nc = null;
  }
}

class PostgresSink extends BrokerSink {
  constructor(options) {
    super({ ...options, kind: 'postgres', exactlyOnce: true });
    this.table = `kcr_chaos_${process.pid}_${Date.now()}`;
    /** The uids of the rows already read (the table is read whole each time). */
    this.rows = new Set();
  }

  get destination() {
    return { type: 'postgres', name: this.name, url: this.url, table: this.table };
  }

  async start() {
    await this.proxy.start();
    this.client = new pg.Client({ connectionString: SERVICE_URLS.postgres });
    await this.client.connect();
    this.polling = true;
    this.poller = (async () => {
      // Rows arrive in uid order only roughly: the whole set of uids is read each time, new ones recorded.
      while (this.polling) {
        const rows = await this.client
          .query(`SELECT uid, event::text AS body FROM ${this.table}`)
          .then((r) => r.rows)
          .catch(() => []);
        for (const { uid, body } of rows) {
          if (this.rows.has(uid)) continue;
          this.rows.add(uid);
          recordDelivery(this, uid, body);
        }
        await sleep(500);
      }
    })();
  }

  /** A row per uid is guaranteed by the primary key; a duplicate here would be a second row, impossible by construction. */
  async stop() {
    await this.proxy.set('down');
    this.polling = false;
    await this.poller;
    if (!this.client) return;
    await this.client.query(`DROP TABLE IF EXISTS ${this.table}`).catch(() => undefined);
    await this.client.end().catch(() => undefined);
    this.client = null;
  }
}

/** The three broker sinks of the `brokers` scenario, started. */
export async function brokerSinks({ registry, stablePort }) {
  const sinks = [
    new RabbitSink({ name: 'rabbitmq', port: await stablePort(), registry }),
    new NatsSink({ name: 'nats', port: await stablePort(), registry }),
    new PostgresSink({ name: 'postgres', port: await stablePort(), registry }),
  ];
  for (const sink of sinks) await sink.start();
  return sinks;
}
