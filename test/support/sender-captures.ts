// Deliveries captured from Phase Two's keycloak-events webhook sender and Keycloak's SSF transmitter,
// read in place from the shared fixtures beside the repository (never copied into it), replayed
// over a raw socket: the request line, the headers in the order and case sent, then the body bytes.
// Also where a test hears the logout messages a relay publishes: Redis pub/sub, or the SSE stream
// of the embedded mode.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { request } from 'undici';
import type { LogoutMessage } from '../../src/logout/message.js';
import type { Relay } from './relay.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** KCR_SENDER_FIXTURES, else ../shared/fixtures beside the checkout. */
export const FIXTURES_DIR = process.env.KCR_SENDER_FIXTURES ?? resolve(ROOT, '..', 'shared', 'fixtures');
export const PHASETWO_DIR = join(FIXTURES_DIR, 'p2-keycloak-events');
export const SSF_DIR = join(FIXTURES_DIR, 'keycloak-ssf');
export const phaseTwoPresent = existsSync(PHASETWO_DIR);
export const ssfPresent = existsSync(SSF_DIR);
export const skipReason = (dir: string): string => `sender captures not found at ${dir} (set KCR_SENDER_FIXTURES)`;

export type Header = [name: string, value: string];

export interface ExpectedLogout {
  kind: 'session' | 'user' | 'realm';
  realmId?: string;
  realmName?: string;
  userId: string | null;
  sessionId: string | null;
  email?: string | null;
}

export interface PhaseTwoCapture {
  file: string;
  request: { method: string; path: string; headers: Header[] };
  body: Buffer;
  status: number;
  attempts?: Array<{ status: number; identicalToFirstRequest: boolean }>;
  authType: 'hmac' | 'bearer';
  secret: string | null;
  algorithm: string;
  audience?: string;
  issuer?: string;
  expected: {
    kind: 'event' | 'admin';
    type: string;
    keycloakEventType?: string;
    operationType?: string;
    resourceType?: string;
    realmId: string;
    realmName: string;
    authRealmName?: string;
    clientId: string | null;
    userId: string | null;
    username: string | null;
    sessionId: string | null;
    ipAddress: string | null;
    error: string | null;
    resourcePath: string | null;
    resourceId?: string;
    representation?: string;
    details: Record<string, string> | null;
    id: string;
    uid: string;
    time: number;
    logout: ExpectedLogout | null;
    jwtClaims?: { iat: number; exp: number; jti: string };
  };
}

export interface SsfCapture {
  file: string;
  request: { method: string; path: string; headers: Header[] };
  body: string;
  decoded: { payload: { jti: string; iat: number; events: Record<string, unknown> } };
  receiverConfig: { issuer: string; audience: string; pushAuthorization: string; maxSetAgeSeconds: number; captureTime: number };
  expected: { valid: boolean; reason?: string; logout: ExpectedLogout | null };
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'jwks.json' && f !== 'ssf-configuration.json')
    .sort();
}

export function loadPhaseTwoCaptures(): PhaseTwoCapture[] {
  if (!phaseTwoPresent) return [];
  return jsonFiles(PHASETWO_DIR).map((file) => {
    const raw = JSON.parse(readFileSync(join(PHASETWO_DIR, file), 'utf8'));
    return { ...raw, file, body: Buffer.from(raw.bodyBase64, 'base64') } as PhaseTwoCapture;
  });
}

export function loadSsfCaptures(): SsfCapture[] {
  if (!ssfPresent) return [];
  return jsonFiles(SSF_DIR).map((file) => ({ ...JSON.parse(readFileSync(join(SSF_DIR, file), 'utf8')), file }) as SsfCapture);
}

/** The realm key a folder's captures were signed with (RFC 7517, as Keycloak's JWKBuilder writes it). */
export function fixtureJwks(dir: string): { keys: Array<Record<string, unknown>> } {
  return JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8'));
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  json: any;
}

/**
 * Sends exactly these bytes: `<method> <path> HTTP/1.1`, the headers in order, the body. The
 * captured Host and Content-Length stay as they were (a changed body must bring its own length).
 */
export function rawRequest(baseUrl: string, method: string, path: string, headers: Header[], body: Buffer | string): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  const head = `${method} ${path} HTTP/1.1\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolveAnswer, reject) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error('no complete answer within 10 s')), 10_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const answerHeaders = Object.fromEntries(
        lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      const length = Number(answerHeaders['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      const text = received.subarray(end + 4, end + 4 + length).toString('utf8');
      resolveAnswer({
        status: Number(lines[0]!.split(' ')[1]),
        headers: answerHeaders,
        body: text,
        json: text.startsWith('{') ? JSON.parse(text) : null,
      });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]));
  });
}

/** The captured headers with one replaced (or removed, value null), and Content-Length fitted to `body`. */
export function withHeader(headers: Header[], name: string, value: string | null, body?: Buffer | string): Header[] {
  const out: Header[] = [];
  for (const [n, v] of headers) {
    if (n.toLowerCase() === name.toLowerCase()) {
      if (value !== null) out.push([n, value]);
    } else if (body !== undefined && n.toLowerCase() === 'content-length') out.push([n, String(Buffer.byteLength(body))]);
    else out.push([n, v]);
  }
  return out;
}

/** The logout messages a relay publishes, as an application node hears them. */
export interface LogoutListener {
  messages: LogoutMessage[];
  close(): Promise<void>;
}

export async function listenOnRedis(redisUrl: string, keyPrefix: string): Promise<LogoutListener> {
  const subscriber = new Redis(redisUrl);
  const messages: LogoutMessage[] = [];
  subscriber.on('message', (_channel: string, text: string) => messages.push(JSON.parse(text) as LogoutMessage));
  await subscriber.subscribe(`${keyPrefix}logout`);
  return {
    messages,
    close: async () => {
      subscriber.disconnect();
    },
  };
}

export async function listenOnSse(relayUrl: string, token: string): Promise<LogoutListener> {
  const res = await request(`${relayUrl}/logouts`, { headers: { authorization: `Bearer ${token}` } });
  if (res.statusCode !== 200) throw new Error(`GET /logouts answered ${res.statusCode}`);
  const messages: LogoutMessage[] = [];
  void (async () => {
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += (chunk as Buffer).toString('utf8');
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const data = buffered
            .slice(0, end)
            .split('\n')
            .find((l) => l.startsWith('data: '));
          buffered = buffered.slice(end + 2);
          if (data) messages.push(JSON.parse(data.slice(6)) as LogoutMessage);
        }
      }
    } catch {
      // Destroyed by close().
    }
  })();
  return {
    messages,
    close: async () => {
      res.body.destroy();
    },
  };
}

/** A store to replay captures on, and where its logouts are heard. */
export interface CaptureBackend {
  name: 'embedded' | 'redis';
  env(): Record<string, string>;
  listen(relay: Relay): Promise<LogoutListener>;
}

const STREAM_TOKEN = 'logout-stream-token-0123';

/**
 * Both stores: the embedded one in a temp DATA_DIR (logouts on its SSE stream), Redis (logouts on
 * pub/sub). `cleanup` removes the temp directories once the file is done.
 */
export function captureBackends(redisUrl: () => string): { backends: CaptureBackend[]; cleanup(): void } {
  const dirs: string[] = [];
  return {
    backends: [
      {
        name: 'embedded',
        env: () => {
          const dir = mkdtempSync(join(tmpdir(), 'kcr-captures-'));
          dirs.push(dir);
          return { DATA_DIR: dir, LOGOUT_STREAM_TOKEN: STREAM_TOKEN };
        },
        listen: (relay) => listenOnSse(relay.url, STREAM_TOKEN),
      },
      {
        name: 'redis',
        env: () => ({ REDIS_URL: redisUrl() }),
        listen: (relay) => listenOnRedis(redisUrl(), relay.config.KEY_PREFIX),
      },
    ],
    cleanup: () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
