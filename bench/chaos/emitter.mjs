// A simulated Keycloak node's event-emitter: events go into its own bounded buffer (the oldest is
// dropped when it is full: the emitter's loss, counted as such), and `concurrency` senders POST the
// oldest pending event, one per request, with Basic auth, resending anything not answered 200. The
// relay it posts to rotates over the replicas, as a load balancer would. The other senders
// (./senders.mjs: Phase Two's webhooks, SSF pushes) are this poster with their own bodies, route
// and answers: newItem, path and outcomeOf.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { basicAuth, UidSource } from '../lib/payloads.mjs';
import { describeEvent, jsonBody } from './bodies.mjs';

const RESEND_DELAY_MS = 200;
const REQUEST_TIMEOUT_MS = 15_000;

export class Emitter {
  /**
   * @param {object} o
   * @param {number} o.id keycloakId of the node (1-31), also its username kc-node-<id>
   * @param {'json'|'flatbuffer'} o.format
   * @param {import('./prng.mjs').Prng} o.prng
   * @param {() => string[]} o.targets relay base URLs
   * @param {Map<string, object>} o.registry every event ever created, by uid
   */
  constructor({ id, format, prng, targets, rate, bufferCapacity, concurrency, registry, secret, flatbuffer }) {
    Object.assign(this, { id, format, prng, targets, rate, bufferCapacity, concurrency, registry });
    this.username = `kc-node-${id}`;
    this.authorization = basicAuth(this.username, secret);
    this.uids = new UidSource(1, id);
    this.encode = format === 'json' ? jsonBody : flatbuffer;
    this.agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
    /** Pending events, oldest first: { event, body, inFlight }. */
    this.buffer = [];
    this.producing = false;
    this.running = false;
    this.turn = 0;
    this.created = 0;
    this.stats = {
      posts: 0,
      accepted: 0,
      duplicate: 0,
      quarantined: 0,
      dropped: 0,
      unavailable: 0,
      full: 0,
      overloaded: 0,
      connectionErrors: 0,
      timeouts: 0,
      other: [],
    };
    this.acked = new Set();
    this.dropped = new Set();
  }

  start() {
    this.running = true;
    this.producing = true;
    this.loops = [this.#produce(), ...Array.from({ length: this.concurrency }, () => this.#send())];
  }

  stopProducing() {
    this.producing = false;
  }

  get pending() {
    return this.buffer.length;
  }

  async stop() {
    this.producing = false;
    this.running = false;
    await Promise.allSettled(this.loops ?? []);
    if (!this.agent.closed) await this.agent.close();
  }

  /** The route this sender posts to. */
  get path() {
    return '/events';
  }

  /** A new pending item `{ event, body, headers, inFlight }`; its event is in the registry under `event.uid`. */
  newItem() {
    const index = this.created++;
    const uid = this.uids.next();
    const roll = this.prng.float();
    const kind = this.format === 'json' && roll < 0.1 ? 'admin' : 'event';
    const type = kind === 'admin' ? 'USER_CREATE' : roll < 0.35 ? 'LOGOUT' : 'LOGIN';
    const event = { ...describeEvent(uid, kind, type, index), emitter: this.id, format: this.format };
    this.registry.set(event.uid, event);
    const headers = { 'content-type': 'application/json', authorization: this.authorization };
    return { event, body: this.encode(event), headers, inFlight: false };
  }

  /** The answer's outcome when the sender is done with the event (accepted, duplicate, quarantined), else null: resend. */
  outcomeOf(status, json) {
    return status === 200 && ['accepted', 'duplicate', 'quarantined'].includes(json?.status) ? json.status : null;
  }

  async #produce() {
    while (this.producing) {
      // Exponential gaps: a Poisson stream of logins and logouts at `rate` per second.
      await sleep(Math.min(2_000, -Math.log(1 - this.prng.float()) * (1_000 / this.rate)));
      if (!this.producing) break;
      if (this.buffer.length >= this.bufferCapacity) {
        const oldest = this.buffer.findIndex((p) => !p.inFlight);
        if (oldest < 0) continue;
        const [gone] = this.buffer.splice(oldest, 1);
        this.dropped.add(gone.event.uid);
        this.stats.dropped += 1;
      }
      this.buffer.push(await this.newItem());
    }
  }

  async #send() {
    while (this.running) {
      const item = this.buffer.find((p) => !p.inFlight);
      if (!item) {
        await sleep(10);
        continue;
      }
      item.inFlight = true;
      const ok = await this.#post(item);
      item.inFlight = false;
      if (ok) {
        const at = this.buffer.indexOf(item);
        if (at >= 0) this.buffer.splice(at, 1);
      } else {
        await sleep(RESEND_DELAY_MS);
      }
    }
  }

  /** One POST; true when answered 200 (the emitter forgets the event), false to resend it. */
  async #post(item) {
    const targets = this.targets();
    const url = `${targets[this.turn++ % targets.length]}${this.path}`;
    this.stats.posts += 1;
    item.event.posted = true;
    let status;
    let text;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: item.headers,
        body: item.body,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      if (/timeout/i.test(err.code ?? err.name ?? '')) this.stats.timeouts += 1;
      else this.stats.connectionErrors += 1;
      return false;
    }
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // reported below with the status
    }
    const outcome = this.outcomeOf(status, json);
    if (outcome !== null) {
      this.stats[outcome] += 1;
      this.acked.add(item.event.uid);
      if (outcome === 'quarantined') item.event.quarantined = json.error?.code;
      return true;
    }
    if (status === 503 && json?.error?.code === 'KCR_ERR_STORE_UNAVAILABLE') this.stats.unavailable += 1;
    else if (status === 503 && json?.error?.code === 'KCR_ERR_BUFFER_FULL') this.stats.full += 1;
    // Load shedding (SHED_*) is a 503 like the others: nothing stored, resent. Starved of CPU (the
    // run's processes and Redis on few cores), a relay may shed: counted, not a failure.
    else if (status === 503 && json?.error?.code === 'KCR_ERR_OVERLOADED') this.stats.overloaded += 1;
    else if (this.stats.other.length < 50) this.stats.other.push({ status, body: String(text).slice(0, 200) });
    else this.stats.other.push(null);
    return false;
  }
}
