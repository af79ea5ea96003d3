// A webhook destination the harness can break: up (200), down (listener closed, connections cut),
// answering 500, answering 429 with Retry-After, or hanging (no answer; the relay's timeoutMs cuts
// it). It records every event it acknowledged with 2xx, checks each body against what the emitters
// sent (uid = webhook-id, type, session, Latin-1 username), and counts repeated acknowledgements.
import { createServer } from 'node:http';
import { senderKey } from './senders.mjs';

/**
 * Counts one acknowledged delivery at `sink` (its `delivered` map, keyed as the registry is: the uid,
 * or a p2 event's or a SET's own id) and, the first time, checks the body against what the senders
 * sent (its `registry`), noting a mismatch in `unexpected`. `deliveryId` is the relay's uid the
 * delivery came under; one registry key under two of them is an event stored twice (`storedAs`).
 */
export function recordDelivery(sink, deliveryId, body) {
  let got;
  try {
    got = JSON.parse(body);
  } catch {
    got = null;
  }
  const uid = senderKey(deliveryId, got);
  sink.storedAs.set(uid, (sink.storedAs.get(uid) ?? new Set()).add(deliveryId));
  sink.delivered.set(uid, (sink.delivered.get(uid) ?? 0) + 1);
  if (sink.delivered.get(uid) > 1) return;
  const sent = sink.registry.get(uid);
  const problem = !sent?.posted
    ? 'never sent'
    : !got || got.uid !== deliveryId
      ? 'body uid differs from the delivery id'
      : got.kind !== sent.kind
        ? `kind ${got.kind} instead of ${sent.kind}`
        : sent.kind === 'event' && (got.type !== sent.type || got.sessionId !== sent.sessionId || got.details?.username !== sent.username)
          ? 'fields differ from what was sent'
          : sent.kind === 'security-event' && (got.sessionId !== sent.sessionId || got.userId !== sent.userId)
            ? 'SET subject differs from what was sent'
            : null;
  if (problem && sink.unexpected.length < 1_000) sink.unexpected.push({ uid, problem, body: body.slice(0, 300) });
}

/** What every sink (webhook or broker) keeps of its deliveries, and the counts the verdict reads. */
export class DeliveryRecord {
  constructor(registry) {
    this.registry = registry;
    /** Registry key -> times acknowledged */
    this.delivered = new Map();
    /** Registry key -> the uids it came under: more than one is an event stored twice. */
    this.storedAs = new Map();
    /** Bodies that do not match what was sent, or uids nobody sent. */
    this.unexpected = [];
  }

  duplicates() {
    let n = 0;
    for (const times of this.delivered.values()) n += times - 1;
    return n;
  }

  /** Events stored twice (a p2 event or a SET that dedup let through): each reached this sink under two uids. */
  storedTwice() {
    let n = 0;
    for (const ids of this.storedAs.values()) if (ids.size > 1) n += 1;
    return n;
  }
}

export class ChaosSink extends DeliveryRecord {
  constructor({ name, port, registry }) {
    super(registry);
    Object.assign(this, { name, port });
    this.mode = 'ok';
    this.server = null;
    this.sockets = new Set();
    this.hanging = new Set();
    this.requests = 0;
  }

  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start() {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => this.#answer(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.keepAliveTimeout = 30_000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = server.address().port;
    this.server = server;
  }

  #answer(req, res, body) {
    this.requests += 1;
    switch (this.mode) {
      case 'error500':
        return res.writeHead(500).end();
      case 'throttle429':
        return res.writeHead(429, { 'retry-after': '1' }).end();
      case 'hang':
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return undefined;
      default:
        recordDelivery(this, String(req.headers['webhook-id']), body);
        return res.writeHead(200).end();
    }
  }

  /** Sets the behaviour; down closes the listener and cuts every connection, up listens again on the same port. */
  async set(mode) {
    if (mode === 'down' && this.server) {
      const server = this.server;
      this.server = null;
      for (const s of this.sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    } else if (mode !== 'down' && !this.server) {
      await this.start();
    }
    if (this.mode === 'hang' && mode !== 'hang') for (const res of this.hanging) res.destroy();
    this.mode = mode;
  }

  async stop() {
    await this.set('down');
  }
}
