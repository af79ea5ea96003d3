// Logout subscribers of the chaos run, as application nodes would listen: on Redis a real ioredis
// subscriber of <prefix>logout (pub/sub is fire-and-forget: a message published while it was
// reconnecting is missed, which the durable revocation then covers), on the embedded store the SSE
// stream GET /logouts, resumed with Last-Event-ID after every disconnection.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { timeOf } from './bodies.mjs';

class Received {
  constructor() {
    /** eventUid -> messages */
    this.byEvent = new Map();
    /** sessionId -> messages: how a p2 event's or a SET's logout is found (its uid is the relay's). */
    this.bySession = new Map();
    this.gaps = 0;
  }

  add(text) {
    try {
      const m = JSON.parse(text);
      this.byEvent.set(m.eventUid, (this.byEvent.get(m.eventUid) ?? 0) + 1);
      if (m.sessionId) this.bySession.set(m.sessionId, (this.bySession.get(m.sessionId) ?? 0) + 1);
    } catch {
      // not a message: ignored
    }
  }

  /** Whether the logout of a registry event was heard. */
  heard(event) {
    return event.sender ? this.bySession.has(event.sessionId) : this.byEvent.has(event.uid);
  }
}

export class RedisLogoutWatcher extends Received {
  constructor({ url, prefix }) {
    super();
    this.client = new Redis(url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
    this.client.on('error', () => {});
    this.channel = `${prefix}logout`;
  }

  async start() {
    this.client.on('message', (_channel, text) => this.add(text));
    await this.client.subscribe(this.channel);
  }

  async stop() {
    this.client.disconnect();
  }
}

export class SseLogoutWatcher extends Received {
  constructor({ url, token }) {
    super();
    Object.assign(this, { url, token });
    this.lastId = null;
    this.running = false;
  }

  async start() {
    this.running = true;
    this.loop = this.#follow();
  }

  async #follow() {
    while (this.running) {
      try {
        this.abort = new AbortController();
        const res = await request(`${this.url()}/logouts`, {
          headers: { authorization: `Bearer ${this.token}`, ...(this.lastId ? { 'last-event-id': this.lastId } : {}) },
          signal: this.abort.signal,
          bodyTimeout: 0,
        });
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new Error(`GET /logouts answered ${res.statusCode}`);
        }
        let pending = '';
        for await (const chunk of res.body) {
          pending += chunk.toString('utf8');
          let end;
          while ((end = pending.indexOf('\n\n')) >= 0) {
            this.#frame(pending.slice(0, end));
            pending = pending.slice(end + 2);
          }
        }
      } catch {
        // the relay was killed or is restarting: resume from the last id
      }
      if (this.running) await sleep(200);
    }
  }

  #frame(frame) {
    let id = null;
    let event = 'message';
    const data = [];
    for (const line of frame.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (event === 'gap') this.gaps += 1;
    else if (data.length > 0) this.add(data.join('\n'));
    if (id !== null) this.lastId = id;
  }

  async stop() {
    this.running = false;
    this.abort?.abort();
    await this.loop;
  }
}

/** Whether the relay holds the durable revocation of a LOGOUT event's session (GET /logouts/revoked). */
export async function sessionRevoked(baseUrl, token, event) {
  const iat = Math.floor((event.time ?? timeOf(BigInt(event.uid))) / 1000);
  const q = new URLSearchParams({ realmId: event.realmId, sub: event.userId, sid: event.sessionId, iat: String(iat) });
  const res = await request(`${baseUrl}/logouts/revoked?${q}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.body.json();
  return res.statusCode === 200 && body.revoked === true;
}
