// A Keycloak stand-in on loopback for the catch-up: the token endpoint (client-credentials grant,
// client_secret_basic or _post) and the two admin REST lists as Keycloak 26.2+ serves them:
// `GET /admin/realms/{realm}/events` and `…/admin-events`, filtered by `dateFrom`/`dateTo`
// (inclusive, epoch ms or yyyy-MM-dd), ordered by time alone (`direction`, desc by default; events
// of one millisecond in insertion order, or shuffled per query as a database may return them),
// paged by offset (`first`, default 0; `max`, default 100). Its events are what Keycloak saved;
// a test adds more while a read is under way (`beforePage`), and scripts failures (`failures`).
import { createHmac, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

export type List = 'events' | 'admin-events';

/** Keycloak's EventRepresentation. */
export interface UserEventRep {
  id: string;
  time: number;
  type: string;
  realmId: string;
  clientId?: string | null;
  userId?: string | null;
  sessionId?: string | null;
  ipAddress?: string | null;
  error?: string | null;
  details?: Record<string, string> | null;
}

/** Keycloak's AdminEventRepresentation. */
export interface AdminEventRep {
  id: string;
  time: number;
  realmId: string;
  authDetails: { realmId: string; clientId: string; userId: string; ipAddress: string };
  operationType: string;
  resourceType: string;
  resourcePath: string;
  representation?: string | null;
  error?: string | null;
  details?: Record<string, string> | null;
}

export interface ListRequest {
  list: List;
  dateFrom: number | null;
  first: number;
  max: number;
  direction: string;
  at: number;
}

/** An answer the stand-in gives instead of the real one, to the next requests on a path. */
export interface ScriptedFailure {
  on: 'token' | List;
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** How many requests it answers (default 1). */
  times?: number;
}

export const REALM_ID = '7c3f5a2e-1b9d-4e6a-8f0c-2d4b6a8e0f13';
export const REALM = 'acme';

export class KeycloakStandIn {
  readonly saved: { events: UserEventRep[]; 'admin-events': AdminEventRep[] } = { events: [], 'admin-events': [] };
  readonly requests: ListRequest[] = [];
  readonly failures: ScriptedFailure[] = [];
  realm = REALM;
  clientId = 'kc-event-relay';
  clientSecret = 'stand-in-client-secret';
  /** The service account has realm-management's view-events (else 403). */
  viewEvents = true;
  tokenLifetimeS = 300;
  tokensIssued = 0;
  /** Events of one millisecond shuffled in each answer, as a database may return them. */
  shuffleTies = false;
  /** Waited before each list answer (a slow Keycloak, time for a kill in the middle of a read). */
  pageDelayMs = 0;
  /** Called before a list request is answered: where a test adds events during a read. */
  beforePage: ((request: ListRequest, index: number) => void) | null = null;
  private readonly tokens = new Map<string, number>();
  private readonly server = new LoopbackServer((req, res) => void this.answer(req, res));

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** The KEYCLOAK_SOURCES entry reading this stand-in. */
  source(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { baseUrl: this.url, realm: this.realm, clientId: this.clientId, clientSecret: this.clientSecret, ...extra };
  }

  add(list: 'events', ...events: UserEventRep[]): void;
  add(list: 'admin-events', ...events: AdminEventRep[]): void;
  add(list: List, ...events: Array<UserEventRep | AdminEventRep>): void {
    (this.saved[list] as Array<UserEventRep | AdminEventRep>).push(...events);
  }

  /** Every token issued so far stops working (a realm key rotation, a revoked session). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  start(): Promise<void> {
    return this.server.start();
  }

  /** Goes down hard (connections cut); start() again serves on the same port. */
  stop(): Promise<void> {
    return this.server.stop();
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(json === undefined ? '' : JSON.stringify(json));
    };
    const realmPath = `/realms/${this.realm}/protocol/openid-connect/token`;
    const list = new RegExp(`^/admin/realms/${this.realm}/(events|admin-events)$`).exec(url.pathname)?.[1] as List | undefined;
    const on = url.pathname === realmPath ? 'token' : list;
    if (on === undefined) return send(404, { error: 'RESTEASY003210: Could not find resource' });
    const scripted = this.failures.find((f) => f.on === on);
    if (scripted) {
      scripted.times = (scripted.times ?? 1) - 1;
      if (scripted.times <= 0) this.failures.splice(this.failures.indexOf(scripted), 1);
      res.writeHead(scripted.status, scripted.headers ?? {}).end(scripted.body ?? '');
      return;
    }
    if (on === 'token') return this.token(req, body, send);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = token === undefined ? undefined : this.tokens.get(token);
    if (expires === undefined || expires < Date.now()) return send(401, { error: 'HTTP 401 Unauthorized' });
    if (!this.viewEvents) return send(403, { error: 'HTTP 403 Forbidden' });
    const request: ListRequest = {
      list: on,
      dateFrom: dateParam(url.searchParams.get('dateFrom'), 'from'),
      first: Number(url.searchParams.get('first') ?? 0),
      max: Number(url.searchParams.get('max') ?? 100),
      direction: url.searchParams.get('direction') ?? 'desc',
      at: Date.now(),
    };
    this.requests.push(request);
    if (this.pageDelayMs > 0) await new Promise((r) => setTimeout(r, this.pageDelayMs));
    this.beforePage?.(request, this.requests.length - 1);
    const to = dateParam(url.searchParams.get('dateTo'), 'to');
    const matching = (this.saved[request.list] as Array<UserEventRep | AdminEventRep>).filter(
      (e) => (request.dateFrom === null || e.time >= request.dateFrom) && (to === null || e.time <= to),
    );
    const sign = request.direction === 'asc' ? 1 : -1;
    // Array.prototype.sort is stable: ties stay in insertion order, unless shuffled first.
    const ordered = (this.shuffleTies ? shuffle(matching) : matching).sort((a, b) => sign * (a.time - b.time));
    return send(200, ordered.slice(request.first, request.first + request.max).map(withoutNulls));
  }

  private token(req: IncomingMessage, body: string, send: (status: number, json: unknown) => void): void {
    const form = new URLSearchParams(body);
    let [id, secret] = [form.get('client_id'), form.get('client_secret')];
    const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [user = '', pass = ''] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      [id, secret] = [decodeForm(user), decodeForm(pass)];
    }
    if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
    if (id !== this.clientId || secret !== this.clientSecret)
      return send(401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
    const token = randomUUID();
    this.tokens.set(token, Date.now() + this.tokenLifetimeS * 1000);
    this.tokensIssued += 1;
    send(200, { access_token: token, expires_in: this.tokenLifetimeS, token_type: 'Bearer', scope: 'profile email' });
  }
}

const decodeForm = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));

/** Keycloak reads `dateFrom`/`dateTo` as epoch ms, or as a day (yyyy-MM-dd: its start, or its end for dateTo). */
function dateParam(value: string | null, end: 'from' | 'to'): number | null {
  if (value === null) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const day = Date.parse(`${value}T00:00:00Z`);
  return end === 'from' ? day : day + 86_400_000 - 1;
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Keycloak's admin API leaves null fields out. */
function withoutNulls(event: object): object {
  return Object.fromEntries(Object.entries(event).filter(([, v]) => v !== null && v !== undefined));
}

let counter = 0;

/** A user event as Keycloak saves it: a LOGIN unless `extra` says otherwise. */
export function userEvent(time: number, extra: Partial<UserEventRep> = {}): UserEventRep {
  counter += 1;
  return {
    id: randomUUID(),
    time,
    type: 'LOGIN',
    realmId: REALM_ID,
    clientId: 'web-app',
    userId: `user-${counter}`,
    sessionId: randomUUID(),
    ipAddress: '203.0.113.7',
    details: { auth_method: 'openid-connect', username: `user${counter}` },
    ...extra,
  };
}

/** An admin event as Keycloak saves it: an update of a user unless `extra` says otherwise. */
export function adminEvent(time: number, extra: Partial<AdminEventRep> = {}): AdminEventRep {
  const user = randomUUID();
  return {
    id: randomUUID(),
    time,
    realmId: REALM_ID,
    authDetails: {
      realmId: '0e8b2f4a-6c1d-4a3e-9b5f-7d2c4e6a8b01',
      clientId: 'b7e3c1d2-4f5a-4b6c-8d9e-0f1a2b3c4d5e',
      userId: randomUUID(),
      ipAddress: '198.51.100.23',
    },
    operationType: 'UPDATE',
    resourceType: 'USER',
    resourcePath: `users/${user}`,
    representation: JSON.stringify({ id: user, enabled: true }),
    details: {},
    ...extra,
  };
}

/**
 * The webhook Phase Two's ext-event-webhook sends for the same Keycloak event (its body layout, as
 * the captures show it), signed with `secret`: what the relay takes on POST /webhooks/phasetwo.
 */
export function phaseTwoDelivery(list: List, event: UserEventRep | AdminEventRep, secret: string): { body: string; signature: string } {
  const common = { id: event.id, time: event.time, realmId: event.realmId, realmName: REALM };
  let fields: object;
  if (list === 'events') {
    const e = event as UserEventRep;
    fields = {
      ...common,
      ...(e.error ? { error: e.error } : {}),
      uid: randomUUID(),
      authDetails: {
        realmId: REALM,
        clientId: e.clientId,
        userId: e.userId,
        ipAddress: e.ipAddress,
        username: 'someone',
        sessionId: e.sessionId,
      },
      details: e.details ?? {},
      type: `access.${e.type}`,
    };
  } else {
    const e = event as AdminEventRep;
    fields = {
      ...common,
      operationType: e.operationType,
      resourcePath: e.resourcePath,
      ...(e.representation ? { representation: e.representation } : {}),
      uid: randomUUID(),
      authDetails: {
        realmId: 'master',
        clientId: e.authDetails.clientId,
        userId: e.authDetails.userId,
        ipAddress: e.authDetails.ipAddress,
        username: 'admin',
      },
      details: e.details ?? {},
      type: `admin.${e.resourceType}-${e.operationType}`,
      resourceType: e.resourceType,
    };
  }
  const body = JSON.stringify(withoutNulls(fields));
  return { body, signature: createHmac('sha256', secret).update(body).digest('hex') };
}
