// Embedded mode (no Redis): logout messages over Server-Sent Events at GET /logouts, resumable
// with Last-Event-ID from a bounded replay log, and revocations that survive a restart.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogoutMessage } from '../../src/logout/message.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startRelay, type Relay } from '../support/relay.js';

const TOKEN = 'logout-stream-token-0123';
const REPLAY_SIZE = 4;
let dataDir: string;
let relay: Relay;

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** A real SSE connection over HTTP: frames as they arrive. */
class SseConnection {
  private readonly frames: Frame[] = [];
  private readonly waiters: Array<() => void> = [];
  private constructor(private readonly body: AsyncIterable<Buffer> & { destroy(): void }) {}

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
    const res = await request(`${url}/logouts`, { headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const conn = new SseConnection(res.body);
    void conn.pump();
    return conn;
  }

  private async pump(): Promise<void> {
    let buffered = '';
    try {
      for await (const chunk of this.body) {
        buffered += chunk.toString('utf8');
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const frame: Frame = {};
          for (const line of buffered.slice(0, end).split('\n')) {
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) frame[m[1] as keyof Frame] = m[2];
          }
          buffered = buffered.slice(end + 2);
          if (frame.data !== undefined) this.frames.push(frame);
        }
        this.waiters.splice(0).forEach((w) => w());
      }
    } catch {
      // Destroyed by close(): the test is done with this connection.
    }
  }

  /** The next `count` frames (messages and gaps), waiting up to 5 s. */
  async take(count: number): Promise<Frame[]> {
    const deadline = Date.now() + 5_000;
    while (this.frames.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} frames, got ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.frames.splice(0, count);
  }

  /** Nothing more arrives within `ms`. */
  async quiet(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    expect(this.frames).toEqual([]);
  }

  close(): void {
    this.body.destroy();
  }
}

const message = (frame: Frame | undefined): LogoutMessage => JSON.parse(frame?.data ?? 'null') as LogoutMessage;

/** Posts a LOGOUT of a fresh session; returns the event uid and the session id. */
async function logout(): Promise<{ uid: string; sid: string; sub: string }> {
  const uid = freshUid();
  const sid = randomUUID();
  const sub = randomUUID();
  const body = loginEventJson(uid, {
    type: 'LOGOUT',
    realmId: 'shop',
    clientId: 'web',
    userId: sub,
    sessionId: sid,
    ipAddress: null,
    details: {},
  });
  expect((await postEvent(relay.url, body)).json.status).toBe('accepted');
  return { uid, sid, sub };
}

const env = () => ({ DATA_DIR: dataDir, LOGOUT_STREAM_TOKEN: TOKEN, LOGOUT_REPLAY_SIZE: String(REPLAY_SIZE) });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kcr-logout-'));
  relay = await startRelay(env(), { logout: true });
});
afterAll(async () => {
  await relay.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GET /logouts', () => {
  it('needs the LOGOUT_STREAM_TOKEN, not the admin token', async () => {
    for (const authorization of [undefined, 'Bearer admin-token-0123456789', `Bearer ${TOKEN}x`]) {
      const res = await request(`${relay.url}/logouts`, { headers: authorization ? { authorization } : {} });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe('KCR_ERR_LOGOUT_AUTH');
    }
  });

  it('streams each message live, with its id as the event id', async () => {
    const sse = await SseConnection.open(relay.url);
    try {
      const { uid, sid } = await logout();
      const [frame] = await sse.take(1);
      expect(message(frame)).toMatchObject({ v: 1, kind: 'session', reason: 'logout', realmId: 'shop', sessionId: sid, eventUid: uid });
      expect(frame?.id).toBe(message(frame).id);
    } finally {
      sse.close();
    }
  });

  it('resumes after a reconnect from Last-Event-ID: what was missed, in order, then live, nothing twice', async () => {
    const first = await SseConnection.open(relay.url);
    const a = await logout();
    const [seenA] = await first.take(1);
    expect(message(seenA).eventUid).toBe(a.uid);
    first.close();

    const b = await logout();
    const c = await logout();
    const second = await SseConnection.open(relay.url, { 'last-event-id': seenA?.id as string });
    try {
      const [fb, fc] = await second.take(2);
      expect([message(fb).eventUid, message(fc).eventUid]).toEqual([b.uid, c.uid]);
      const d = await logout();
      const [fd] = await second.take(1);
      expect(message(fd).eventUid).toBe(d.uid);
      await second.quiet();
    } finally {
      second.close();
    }
  });

  it('announces a gap when the last id has left the bounded log, then sends all it keeps', async () => {
    const sse = await SseConnection.open(relay.url);
    const oldest = await logout();
    const [frame] = await sse.take(1);
    sse.close();
    expect(message(frame).eventUid).toBe(oldest.uid);
    for (let i = 0; i < REPLAY_SIZE; i++) await logout();
    await new Promise((r) => setTimeout(r, 300));

    const resumed = await SseConnection.open(relay.url, { 'last-event-id': frame?.id as string });
    try {
      const [gap, ...kept] = await resumed.take(1 + REPLAY_SIZE);
      expect(gap).toMatchObject({ event: 'gap' });
      expect(JSON.parse(gap?.data ?? '{}')).toEqual({ lastEventId: frame?.id });
      expect(kept.map((f) => message(f).eventUid)).not.toContain(oldest.uid);
      await resumed.quiet();
    } finally {
      resumed.close();
    }
  });
});

describe('GET /logouts/revoked', () => {
  const check = async (query: Record<string, string>, base = relay.url) => {
    const res = await request(`${base}/logouts/revoked?${new URLSearchParams(query).toString()}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: res.statusCode, json: (await res.body.json()) as { revoked?: boolean; error?: { code: string } } };
  };

  it('answers from the embedded revocation state, which survives a restart with the replay log', async () => {
    const sse = await SseConnection.open(relay.url);
    const { sid, sub } = await logout();
    const [frame] = await sse.take(1);
    const m = message(frame);
    const claims = { realmId: 'shop', sub, sid, azp: 'web' };
    expect((await check({ ...claims, iat: String(m.notBefore - 1) })).json).toEqual({ revoked: true });
    expect((await check({ ...claims, iat: String(m.notBefore) })).json).toEqual({ revoked: false });
    expect((await check({ ...claims, sid: randomUUID(), iat: String(m.notBefore - 1) })).json).toEqual({ revoked: false });
    expect((await check({ realmId: 'shop', sub, iat: 'soon' })).json.error?.code).toBe('KCR_ERR_REVOCATION_QUERY');

    // Closing with a stream still open must not hang: the stream is ended.
    await relay.close();
    sse.close();
    relay = await startRelay(env(), { logout: true });
    expect((await check({ ...claims, iat: String(m.notBefore - 1) })).json).toEqual({ revoked: true });
    const next = await logout();
    const resumed = await SseConnection.open(relay.url, { 'last-event-id': m.id });
    try {
      const [f] = await resumed.take(1);
      expect(message(f).eventUid).toBe(next.uid);
    } finally {
      resumed.close();
    }
  });
});
