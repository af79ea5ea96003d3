// The NATS JetStream target: each event published to `<subject>.<kind>.<realmId>.<type>` with
// `Nats-Msg-Id: <uid>`, delivered once the stream's PubAck comes back. JetStream drops a resend
// within the stream's duplicate window and answers with a PubAck marked duplicate: delivered too.
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import type { StoredEntry } from '../../store/event-store.js';
import type { NatsDestination } from '../destination.js';
import { natsSubject } from './topic.js';
import { DELIVERED, failed, failedWith, LinkState, type ConnectionState, type DeliveryResult, type Target } from './target.js';

export class NatsTarget implements Target {
  readonly batchSize: number;
  private client: { nc: NatsConnection; js: JetStreamClient } | null = null;
  private opening: Promise<{ nc: NatsConnection; js: JetStreamClient }> | null = null;
  private readonly link = new LinkState();

  constructor(private readonly destination: NatsDestination) {
    this.batchSize = destination.batchSize;
  }

  connection(): ConnectionState {
    return this.link.get();
  }

  async write(entries: readonly StoredEntry[]): Promise<DeliveryResult[]> {
    let js: JetStreamClient;
    try {
      js = (await this.open()).js;
    } catch (err) {
      const result = failedWith(err);
      this.link.set('down', result.error);
      return entries.map(() => result);
    }
    const timeout = this.destination.timeoutMs;
    // Every publish of the batch goes out at once; each waits for its own PubAck.
    return Promise.all(
      entries.map(async (entry) => {
        const subject = natsSubject(this.destination.subject, entry.event);
        try {
          await js.publish(subject, entry.body, { msgID: entry.uid, timeout });
          return DELIVERED;
        } catch (err) {
          return describe(err, subject);
        }
      }),
    );
  }

  async close(): Promise<void> {
    const open = this.client ?? (await this.opening?.catch(() => null));
    this.client = null;
    await open?.nc.close().catch(() => undefined);
  }

  private async open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (this.client) return this.client;
    this.opening ??= this.connect().finally(() => {
      this.opening = null;
    });
    return (this.client = await this.opening);
  }

  private async connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const { destination } = this;
    this.link.set('connecting');
    const url = new URL(destination.url);
    const options: ConnectionOptions = {
      servers: url.host,
      name: `kc-event-relay ${destination.name}`,
      timeout: destination.timeoutMs,
      // Once connected, the client reconnects by itself for as long as the relay runs; publishes
      // meanwhile fail on their timeout and are retried by the worker.
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    };
    const password = destination.passwordFile ?? decodeURIComponent(url.password);
    const user = decodeURIComponent(url.username);
    if (user && password) Object.assign(options, { user, pass: password });
    else if (user || password) options.token = user || password;
    if (url.protocol === 'tls:' || destination.tls) options.tls = { ...tlsOf(destination.tls) };
    const nc = await connect(options);
    void this.watch(nc);
    this.link.set('up');
    return { nc, js: jetstream(nc, { timeout: destination.timeoutMs }) };
  }

  /** Follows the client's own reconnections, for the status page and /readyz. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting') this.link.set('down', 'disconnected; reconnecting');
      else if (status.type === 'reconnect') this.link.set('up');
      else if (status.type === 'close') break;
    }
    if (this.client?.nc === nc) this.client = null;
  }
}

function tlsOf(tls: NatsDestination['tls']): Record<string, string> {
  const out: Record<string, string> = {};
  if (tls?.ca) out.ca = tls.ca;
  if (tls?.cert) out.cert = tls.cert;
  if (tls?.key) out.key = tls.key;
  return out;
}

/** A failed publish in an operator's words: "no responders" on a JetStream publish means no stream captures the subject. */
function describe(err: unknown, subject: string): DeliveryResult {
  const e = err as Error & { name?: string; cause?: unknown };
  if (
    e.name === 'JetStreamNotEnabled' ||
    /no responders/i.test(e.message) ||
    /no responders/i.test(String((e.cause as Error | undefined)?.message))
  ) {
    return failed(`no JetStream stream captures subject "${subject}" (no responders): add it to a stream's subjects`);
  }
  return failedWith(err);
}
