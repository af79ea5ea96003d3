// No revocation reaches past the moment its event arrived (issue 18, item 1), on both stores: an
// event stamped in the future (a forged body, a Keycloak node whose clock runs ahead) revokes only
// the tokens issued up to its arrival, the store itself caps what any message records, and an
// operator can see and lift what a realm has revoked (HTTP and CLI), each lift logged.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { LogoutMessage } from '../../src/logout/message.js';
import { postEvent } from '../support/http.js';
import { CLIENT_UUID, jsonBody, REALM, ROWS, SESSION, USER, type LogoutCase } from '../support/logout-cases.js';
import { basic, uidAt } from '../support/payloads.js';
import { ADMIN_TOKEN, SECRET, startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

const TOKEN = 'logout-stream-token-0123';
const YEAR_2100 = Date.UTC(2100, 0, 1);
const MINUTE = 60_000;
const run = promisify(execFile);
const row = (name: string): LogoutCase => ROWS.find((c) => c.name === name) as LogoutCase;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const backends = [
  {
    name: 'embedded',
    env: (): Record<string, string> => {
      const dir = mkdtempSync(join(tmpdir(), 'kcr-revocations-'));
      dirs.push(dir);
      return { DATA_DIR: dir };
    },
  },
  { name: 'redis', env: (): Record<string, string> => ({ REDIS_URL: inject('redisUrl') }) },
];

describe.each(backends)('revocations: $name', (backend) => {
  const relays: Relay[] = [];
  afterEach(async () => {
    for (const r of relays.splice(0)) await r.close();
  });

  async function relay(env: Record<string, string> = {}): Promise<Relay> {
    const started = await startRelay({ ...backend.env(), LOGOUT_STREAM_TOKEN: TOKEN, ...env }, { logout: true });
    relays.push(started);
    return started;
  }

  async function revoked(r: Relay, claims: { sub: string; iat: number; sid?: string; azp?: string }): Promise<boolean> {
    const query = new URLSearchParams({ realmId: REALM, ...claims, iat: String(claims.iat) });
    const res = await request(`${r.url}/logouts/revoked?${query.toString()}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return ((await res.body.json()) as { revoked: boolean }).revoked;
  }

  async function admin(r: Relay, method: 'GET' | 'DELETE', path: string): Promise<{ status: number; json: any }> {
    const res = await request(`${r.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { status: res.statusCode, json: await res.body.json() };
  }

  /** Posts a body stamped `timeMs` (uid of the relay's now: the uid's own time is checked) and waits until its revocation is in force. */
  async function postLogout(r: Relay, c: LogoutCase, timeMs: number, witness: { sub: string; sid?: string; azp?: string }) {
    const before = Math.floor(Date.now() / 1000) - 1;
    expect((await postEvent(r.url, jsonBody(c, uidAt(Date.now()), timeMs))).status).toBe(200);
    const postedAt = Date.now();
    // A token issued before the post is revoked once the publisher has been through it.
    await until(() => revoked(r, { ...witness, iat: before }), 10_000, `${c.name} revoked`);
    return postedAt;
  }

  it('an event stamped in the year 2100 revokes no token issued after it was posted (GET /logouts/revoked)', async () => {
    const r = await relay();
    const postedAt = await postLogout(r, row('admin REALM ACTION logout-all'), YEAR_2100, { sub: 'anyone' });
    // Issued in the second after the post (Keycloak's iat is in seconds), and a day later.
    expect(await revoked(r, { sub: 'anyone', iat: Math.floor(postedAt / 1000) + 1 })).toBe(false);
    expect(await revoked(r, { sub: 'someone-else', iat: Math.floor(postedAt / 1000) + 86_400 })).toBe(false);
    const [listed] = (await admin(r, 'GET', `/admin/revocations?realmId=${REALM}`)).json as Array<{ notBefore: number }>;
    expect(listed?.notBefore).toBeLessThanOrEqual(Math.floor(postedAt / 1000) + 1);
  });

  it("a node whose clock runs minutes ahead revokes up to the event's arrival, not up to its own clock", async () => {
    const r = await relay();
    const postedAt = await postLogout(r, row('Event LOGOUT'), Date.now() + 3 * MINUTE, { sub: USER, sid: SESSION });
    expect(await revoked(r, { sub: USER, sid: SESSION, iat: Math.floor(postedAt / 1000) + 60 })).toBe(false);
  });

  it('the store caps any message it records at the second after now, whoever made it', async () => {
    const r = await relay();
    const now = Date.now();
    const message: LogoutMessage = {
      v: 1,
      id: '1',
      kind: 'user',
      realmId: REALM,
      userId: 'forged',
      sessionId: null,
      clientId: null,
      notBefore: Math.floor(YEAR_2100 / 1000),
      reason: 'admin-logout',
      eventUid: '1',
      time: YEAR_2100,
    };
    // The bus's connection may still be coming up just after the start.
    await until(
      () =>
        r.logout!.bus.publish([message], now).then(
          () => true,
          () => false,
        ),
      5_000,
      'published',
    );
    expect(await revoked(r, { sub: 'forged', iat: Math.floor(now / 1000) })).toBe(true);
    expect(await revoked(r, { sub: 'forged', iat: Math.floor(now / 1000) + 1 })).toBe(false);
  });

  it("lists a realm's revocations and lifts a realm-wide, a user, a user+client, a session and a client one, each logged", async () => {
    const r = await relay();
    const now = Date.now();
    const cases = [
      'admin REALM ACTION logout-all',
      'admin USER ACTION users/{id}/logout',
      'admin USER ACTION users/{id}/consents/{clientId}',
      'Event LOGOUT',
      'admin CLIENT ACTION clients/{id}/push-revocation',
    ];
    for (const name of cases) expect((await postEvent(r.url, jsonBody(row(name), uidAt(Date.now()), now))).status).toBe(200);
    const scopes = ['realm', `user:${USER}`, `user:${USER}:client:urn%3Apartner%3Aportal`, `session:${SESSION}`, `client:${CLIENT_UUID}`];
    let listed: Array<Record<string, unknown>> = [];
    await until(
      async () => {
        listed = (await admin(r, 'GET', `/admin/revocations?realmId=${REALM}`)).json;
        return listed.length === scopes.length;
      },
      10_000,
      'five revocations listed',
    );
    expect(listed.map((l) => l.scope).sort()).toEqual([...scopes].sort());
    expect(listed.find((l) => l.kind === 'user' && l.clientId !== null)).toMatchObject({
      realmId: REALM,
      userId: USER,
      clientId: 'urn:partner:portal',
      sessionId: null,
      notBefore: Math.floor(now / 1000) + 1,
      notBeforeAt: new Date((Math.floor(now / 1000) + 1) * 1000).toISOString(),
      expiresAt: expect.any(String),
    });

    const iat = Math.floor(now / 1000);
    expect(await revoked(r, { sub: 'bystander', iat })).toBe(true);
    const lifts = [
      '/realm',
      `/users/${USER}`,
      `/users/${USER}/clients/${encodeURIComponent('urn:partner:portal')}`,
      `/sessions/${SESSION}`,
      `/clients/${CLIENT_UUID}`,
    ];
    for (const [i, path] of lifts.entries()) {
      const lifted = await admin(r, 'DELETE', `/admin/revocations/${REALM}${path}`);
      expect(lifted, path).toMatchObject({ status: 200, json: { lifted: { realmId: REALM, scope: scopes[i] } } });
    }
    expect((await admin(r, 'GET', `/admin/revocations?realmId=${REALM}`)).json).toEqual([]);
    expect(await revoked(r, { sub: 'bystander', iat })).toBe(false);
    expect(await revoked(r, { sub: USER, sid: SESSION, azp: 'urn:partner:portal', iat })).toBe(false);
    expect(await admin(r, 'DELETE', `/admin/revocations/${REALM}/realm`)).toMatchObject({
      status: 404,
      json: { error: { code: 'KCR_ERR_REVOCATION_NOT_FOUND' } },
    });
    const lines = r.logs.filter((l) => l.includes('revocation lifted by an operator')).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.scope)).toEqual(scopes);
    expect(lines[0]).toMatchObject({ by: 'ADMIN_TOKEN', address: '127.0.0.1', realmId: REALM, notBefore: Math.floor(now / 1000) + 1 });
  });

  it('lists and lifts the revocation of a user named by email only (an SSF subject)', async () => {
    const r = await relay();
    const email = 'ann+sso@example.com';
    const notBefore = Math.floor(Date.now() / 1000);
    const message = {
      v: 1 as const,
      id: '1',
      kind: 'user' as const,
      realmId: REALM,
      userId: null,
      sessionId: null,
      clientId: null,
      email,
      notBefore,
      reason: 'session-revoked' as const,
      eventUid: '1',
      time: Date.now(),
    };
    await r.logout!.bus.publish([message], Date.now());
    const scope = `email:${encodeURIComponent(email)}`;
    const listed = (await admin(r, 'GET', `/admin/revocations?realmId=${REALM}`)).json;
    expect(listed).toEqual([expect.objectContaining({ scope, kind: 'user', userId: null, email, notBefore })]);
    const lifted = await admin(r, 'DELETE', `/admin/revocations/${REALM}/emails/${encodeURIComponent(email)}`);
    expect(lifted).toMatchObject({ status: 200, json: { lifted: { realmId: REALM, scope } } });
    expect((await admin(r, 'GET', `/admin/revocations?realmId=${REALM}`)).json).toEqual([]);
  });

  it('the CLI lists and lifts revocations (npm run admin -- revocations)', async () => {
    const r = await relay();
    await postLogout(r, row('admin USER ACTION users/{id}/logout'), Date.now(), { sub: USER });
    const cli = (...args: string[]) =>
      run(process.execPath, ['dist/src/cli.js', 'revocations', ...args, '--url', r.url], { env: { PATH: process.env.PATH, ADMIN_TOKEN } });
    const listed = JSON.parse((await cli('--realm', REALM)).stdout) as Array<{ scope: string }>;
    expect(listed.map((l) => l.scope)).toEqual([`user:${USER}`]);
    expect(JSON.parse((await cli('lift', '--realm', REALM, '--user', USER)).stdout)).toMatchObject({ lifted: { scope: `user:${USER}` } });
    expect(JSON.parse((await cli('--realm', REALM)).stdout)).toEqual([]);
    await expect(cli('lift', '--realm', REALM, '--user', USER)).rejects.toMatchObject({
      stderr: expect.stringContaining('KCR_ERR_REVOCATION_NOT_FOUND'),
    });
    // The realm-wide revocation is lifted only when named: no scope at all is a usage error.
    await expect(cli('lift', '--realm', REALM)).rejects.toMatchObject({ stderr: expect.stringContaining('exactly one of') });
  });
});

describe('an event time beyond MAX_CLOCK_SKEW', () => {
  it('is stored as received, counted per node, and logged once per node a minute', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcr-future-'));
    dirs.push(dir);
    const r = await startRelay({ DATA_DIR: dir, MAX_CLOCK_SKEW: '5m' });
    try {
      const ahead = Date.now() + 10 * MINUTE;
      const uids: string[] = [];
      for (const node of ['kc-node-1', 'kc-node-1', 'kc-node-1', 'kc-node-2']) {
        const uid = uidAt(Date.now());
        const body = JSON.stringify({ time: ahead, type: 'LOGIN', realmId: REALM, userId: USER, sessionId: SESSION }).replace(
          '{',
          `{"uid":${uid},`,
        );
        const answer = await postEvent(r.url, body, { authorization: basic(node, SECRET) });
        expect(answer.json).toEqual({ status: 'accepted', uid });
        uids.push(uid);
      }
      // Within the skew: neither counted nor logged.
      await postEvent(r.url, JSON.stringify({ time: Date.now() + MINUTE, type: 'LOGIN', realmId: REALM }));
      const stored = await r.store.lookup(uids[0]!);
      expect(stored).toMatchObject({ status: 'found', event: { time: ahead } });
      const metrics = await r.metrics.registry.getSingleMetricAsString('kcr_ingest_future_time_total');
      expect(metrics).toContain('kcr_ingest_future_time_total{node="kc-node-1"} 3');
      expect(metrics).toContain('kcr_ingest_future_time_total{node="kc-node-2"} 1');
      const lines = r.logs.filter((l) => l.includes('ahead of the relay')).map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.node, l.events])).toEqual([
        ['kc-node-1', 1],
        ['kc-node-2', 1],
      ]);
    } finally {
      await r.close();
    }
  });
});
