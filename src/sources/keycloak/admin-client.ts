// Keycloak's admin REST API as the catch-up reads it (undici, one keep-alive pool per source): an
// access token by the client-credentials grant of the source's confidential client, cached until
// shortly before it expires, and the two event lists, one page per request. Every failure is a
// PollFailure saying what kind it is; no secret or token ever enters its message.
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { retryAfterMs } from '../../retry/backoff.js';
import type { EventList } from './map-event.js';
import type { PageQuery } from './paging.js';
import { PollFailure } from './poll-outcome.js';
import type { KeycloakSource } from './source.js';

export interface AdminClientOptions {
  /** Longest wait for an answer's headers, and between two chunks of its body. */
  timeoutMs?: number;
  now?: () => number;
}

/** A page larger than this is refused (a smaller pageSize reads it): memory stays bounded. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** A token is renewed this long before Keycloak says it expires (at most half its life). */
const TOKEN_MARGIN_MS = 30_000;

interface Token {
  value: string;
  renewAt: number;
}

export class KeycloakAdminClient {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly basic: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private token: Token | null = null;
  private fetching: Promise<Token> | null = null;

  constructor(
    private readonly source: Pick<KeycloakSource, 'name' | 'baseUrl' | 'realm' | 'clientId' | 'clientSecret'>,
    options: AdminClientOptions = {},
  ) {
    const url = new URL(source.baseUrl);
    this.path = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.pool = new Pool(url.origin, { connections: 2, keepAliveTimeout: 30_000, connect: { timeout: this.timeoutMs } });
    // client_secret_basic (RFC 6749, 2.3.1): each part form-encoded before base64.
    const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, '+');
    this.basic = `Basic ${Buffer.from(`${encode(source.clientId)}:${encode(source.clientSecret)}`, 'utf8').toString('base64')}`;
  }

  /** One page of a list, oldest first from `dateFrom` (inclusive): Keycloak's entries as it sent them. */
  async page(list: EventList, query: PageQuery): Promise<unknown[]> {
    const token = await this.accessToken();
    const params = new URLSearchParams({
      dateFrom: String(query.dateFrom),
      first: String(query.first),
      max: String(query.max),
      direction: 'asc',
    });
    const path = `${this.path}/admin/realms/${encodeURIComponent(this.source.realm)}/${list}?${params.toString()}`;
    const answer = await this.send({
      method: 'GET',
      path,
      headers: { authorization: `Bearer ${token.value}`, accept: 'application/json' },
    });
    if (answer.status === 401) {
      // Revoked, or the realm's keys rotated: the next run asks for a new one.
      if (this.token === token) this.token = null;
      throw new PollFailure(
        'unauthorized',
        `${list}: 401 for the access token of client "${this.source.clientId}" (a new one is asked for next)`,
      );
    }
    if (answer.status === 403) {
      throw new PollFailure(
        'forbidden',
        `${list}: 403: the service account of client "${this.source.clientId}" lacks realm-management's view-events`,
      );
    }
    if (answer.status !== 200) throw unexpected(`${list}`, answer);
    const entries = parseJson(`${list}`, answer.body);
    if (!Array.isArray(entries)) throw new PollFailure('invalid', `${list}: the answer is not a JSON array`);
    return entries as unknown[];
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  /** The cached token, or a new one (concurrent callers share one request). */
  private async accessToken(): Promise<Token> {
    if (this.token !== null && this.now() < this.token.renewAt) return this.token;
    this.fetching ??= this.fetchToken().finally(() => (this.fetching = null));
    this.token = await this.fetching;
    return this.token;
  }

  private async fetchToken(): Promise<Token> {
    const path = `${this.path}/realms/${encodeURIComponent(this.source.realm)}/protocol/openid-connect/token`;
    const askedAt = this.now();
    const answer = await this.send({
      method: 'POST',
      path,
      headers: { authorization: this.basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
    });
    // Keycloak: 401 invalid_client (wrong secret, unknown client), 400 unauthorized_client (no service account).
    if (answer.status === 400 || answer.status === 401) {
      const error = oauthError(answer.body);
      throw new PollFailure('unauthorized', `token: ${answer.status}${error ? ` ${error}` : ''} for client "${this.source.clientId}"`);
    }
    if (answer.status !== 200) throw unexpected('token', answer);
    const body = parseJson('token', answer.body) as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof body?.access_token !== 'string' || body.access_token === '')
      throw new PollFailure('invalid', 'token: the answer has no access_token');
    const lifeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 60_000;
    return { value: body.access_token, renewAt: askedAt + lifeMs - Math.min(TOKEN_MARGIN_MS, lifeMs / 2) };
  }

  private async send(options: Omit<Dispatcher.RequestOptions, 'origin'>): Promise<Answer> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({ ...options, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    } catch (err) {
      throw new PollFailure('unreachable', describeTransportError(err));
    }
    try {
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > MAX_ANSWER_BYTES) throw tooLarge();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) throw tooLarge();
        chunks.push(chunk);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
    } catch (err) {
      res.body.destroy();
      if (err instanceof PollFailure) throw err;
      throw new PollFailure('unreachable', describeTransportError(err));
    }
  }
}

interface Answer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: string;
}

function tooLarge(): PollFailure {
  return new PollFailure('invalid', `an answer larger than ${MAX_ANSWER_BYTES} bytes: give the source a smaller pageSize`);
}

function unexpected(what: string, answer: Answer): PollFailure {
  return new PollFailure('unavailable', `${what}: answered ${answer.status}`, retryAfterMs(answer.headers['retry-after'], Date.now()));
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PollFailure('invalid', `${what}: the answer is not JSON`);
  }
}

/** The OAuth error code of a token endpoint's refusal (never its description, which may echo input). */
function oauthError(text: string): string | null {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' && /^[\w.-]{1,64}$/.test(error) ? error : null;
  } catch {
    return null;
  }
}

function describeTransportError(err: unknown): string {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) return 'no answer in time';
  const { code, message = String(err) } = err as { code?: string; message?: string };
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
