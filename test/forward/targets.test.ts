// Destinations of type amqp, nats and postgres against the real servers (.ci/run starts them), on
// both stores: what each message or row holds, and a refusing target whose events become dead
// letters with a clear reason, then are redriven once the target is fixed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { postAccepted } from '../support/http.js';
import { adminEventJson, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';
import { freePort } from '../support/redis-server.js';
import { until } from '../support/sink.js';
import { makeTestCerts } from '../support/tls.js';
import { AMQP_URL, AmqpReader, NATS_URL, NatsStream, POSTGRES_URL, rabbitmqctl, reachable, sql, uniqueName } from '../support/targets.js';

const redisUrl = inject('redisUrl');
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** Skipped where the server is neither running nor installed, except under CI (.ci/run installs it). */
async function requireService(url: string, what: string): Promise<boolean> {
  if (await reachable(url)) return true;
  if (process.env.CI) throw new Error(`${what} is not reachable (${url || 'not installed'}): .ci/run installs and starts it`);
  console.warn(`skipping: ${what} is neither running nor installed (.ci/run installs it)`);
  return false;
}

type StoreKind = 'redis' | 'embedded';

async function relay(kind: StoreKind, destinations: object[]): Promise<Relay> {
  let storeEnv: Record<string, string> = { REDIS_URL: redisUrl };
  if (kind === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'kcr-targets-'));
    open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
    storeEnv = { DATA_DIR: dir };
  }
  const r = await startRelay({ ...storeEnv, DESTINATIONS: JSON.stringify(destinations) });
  open.unshift({ close: () => r.close() });
  return r;
}

const ingest = (r: Relay, n: number, body?: (uid: string) => string): Promise<string[]> => postAccepted(r.url, n, body);

async function admin(r: Relay, method: 'GET' | 'POST', path: string): Promise<any> {
  const res = await request(`${r.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return res.body.json();
}

/** Dead letters of `name` once there are `n`, after maxAttempts. */
async function deadLetters(r: Relay, name: string, n: number): Promise<Array<{ lastError: string; event: { uid: string } }>> {
  await until(async () => (await r.store.groupState(name)).deadLetters === n, 15_000, `${n} dead letters`);
  return admin(r, 'GET', `/admin/destinations/${name}/dead-letters`);
}

async function redrive(r: Relay, name: string): Promise<any> {
  const job = await admin(r, 'POST', `/admin/destinations/${name}/redrive`);
  let state: any;
  await until(async () => (state = await admin(r, 'GET', `/admin/jobs/${job.id}`)).state === 'done', 15_000, 'redrive');
  return state;
}

const settings = { maxAttempts: 2, timeoutMs: 2_000 };

describe.each<StoreKind>(['redis', 'embedded'])('on the %s store', (kind) => {
  describe('amqp', () => {
    let present = false;
    beforeAll(async () => {
      present = await requireService(AMQP_URL, 'RabbitMQ');
    });

    it('publishes each event persistent, with message_id = uid, JSON content type, kind and type headers, to a safe routing key', async ({
      skip,
    }) => {
      if (!present) skip();
      const exchange = uniqueName('kcr.test');
      const reader = new AmqpReader(exchange);
      await reader.start();
      open.push(reader);
      const r = await relay(kind, [{ type: 'amqp', name: 'rabbit', url: AMQP_URL, exchange, ...settings }]);
      const [login] = await ingest(r, 1, (uid) => loginEventJson(uid, { realmId: 'corp.eu #1' }));
      const [adminUid] = await ingest(r, 1, adminEventJson);
      await until(() => reader.messages.length === 2, 10_000, 'two messages');
      const byId = new Map(reader.messages.map((m) => [m.messageId, m]));
      const first = byId.get(login!)!;
      expect(first.routingKey).toBe('keycloak.event.corp_eu__1.LOGIN');
      expect(first.properties).toMatchObject({
        contentType: 'application/json',
        deliveryMode: 2,
        headers: { kind: 'event', type: 'LOGIN' },
      });
      expect(typeof first.properties.timestamp).toBe('number');
      expect(JSON.parse(first.body)).toMatchObject({ uid: login, type: 'LOGIN' });
      expect(byId.get(adminUid!)!.routingKey).toBe('keycloak.admin.master.USER_ACTION');
      await until(async () => (await r.store.groupState('rabbit')).pending === 0, 5_000, 'acknowledged');
      const ready = (await (await request(`${r.url}/readyz`)).body.json()) as any;
      expect(ready.destinations).toEqual([{ name: 'rabbit', type: 'amqp', connection: expect.objectContaining({ state: 'up' }) }]);
    });

    it('an exchange the user may not write to: dead letters naming ACCESS_REFUSED; redriven once permitted', async ({ skip }) => {
      if (!present) skip();
      const exchange = uniqueName('kcr.test');
      const reader = new AmqpReader(exchange);
      await reader.start();
      open.push(reader);
      const user = uniqueName('kcr_user');
      await rabbitmqctl('add_user', user, 'secret-pw');
      open.push({ close: () => rabbitmqctl('delete_user', user).then(() => undefined) });
      // May read and configure, not write: the exchange exists, publishing to it is refused.
      await rabbitmqctl('set_permissions', '-p', '/', user, '.*', '^$', '.*');
      // The password from a file (a mounted secret), the user name in the URL.
      const dir = mkdtempSync(join(tmpdir(), 'kcr-amqp-pw-'));
      open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
      writeFileSync(join(dir, 'password'), 'secret-pw\n');
      const url = AMQP_URL.replace(/\/\/[^@]*@/, `//${user}@`);
      const r = await relay(kind, [{ type: 'amqp', name: 'refused', url, passwordFile: join(dir, 'password'), exchange, ...settings }]);
      const uids = await ingest(r, 2);
      const letters = await deadLetters(r, 'refused', 2);
      expect(letters.map((l) => l.event.uid).sort()).toEqual([...uids].sort());
      expect(letters[0]!.lastError).toMatch(/ACCESS_REFUSED/);
      expect(r.logs.join('')).toMatch(/event moved to dead letters.*ACCESS_REFUSED|ACCESS_REFUSED.*event moved to dead letters/);
      expect(r.logs.join('')).not.toContain('secret-pw');
      const summary = await admin(r, 'GET', '/admin/summary');
      expect(summary.destinations[0]).toMatchObject({ type: 'amqp', lastFailure: { error: expect.stringMatching(/ACCESS_REFUSED/) } });
      expect(summary.destinations[0].url).not.toContain('secret-pw');

      await rabbitmqctl('set_permissions', '-p', '/', user, '.*', '.*', '.*');
      expect(await redrive(r, 'refused')).toMatchObject({ delivered: 2, deadLettered: 0 });
      await until(() => reader.messages.length === 2, 10_000, 'redriven messages');
      expect(reader.messages.map((m) => m.messageId).sort()).toEqual([...uids].sort());
    });

    it('a message no queue takes is returned, retried, then a dead letter naming its routing key', async ({ skip }) => {
      if (!present) skip();
      const exchange = uniqueName('kcr.test');
      const r = await relay(kind, [{ type: 'amqp', name: 'unbound', url: AMQP_URL, exchange, ...settings }]);
      open.push({
        close: async () =>
          (await import('amqplib')).connect(AMQP_URL).then(async (m) => {
            await (await m.createChannel()).deleteExchange(exchange);
            await m.close();
          }),
      });
      await ingest(r, 1);
      const letters = await deadLetters(r, 'unbound', 1);
      expect(letters[0]!.lastError).toMatch(/unroutable.*keycloak\.event\.master\.LOGIN/);
    });
  });

  describe('nats', () => {
    let present = false;
    beforeAll(async () => {
      present = await requireService(NATS_URL, 'NATS');
    });

    it('publishes each event to <subject>.<kind>.<realmId>.<type> with Nats-Msg-Id = uid, through the filter', async ({ skip }) => {
      if (!present) skip();
      const stream = new NatsStream(uniqueName('kcrtest'));
      await stream.create();
      open.push(stream);
      const filter = { realms: ['master'] };
      const r = await relay(kind, [{ type: 'nats', name: 'js', url: NATS_URL, subject: stream.subject, filter, ...settings }]);
      const [login] = await ingest(r, 1);
      await ingest(r, 1, (uid) => loginEventJson(uid, { realmId: 'other' }));
      const [adminUid] = await ingest(r, 1, adminEventJson);
      await until(
        async () => (await r.store.groupState('js')).pending === 0 && (await r.store.groupState('js')).lag === 0,
        10_000,
        'acknowledged',
      );
      const messages = await stream.messages();
      expect(messages.map((m) => [m.msgId, m.subject])).toEqual([
        [login, `${stream.subject}.event.master.LOGIN`],
        [adminUid, `${stream.subject}.admin.master.USER_ACTION`],
      ]);
      expect(JSON.parse(messages[0]!.body)).toMatchObject({ uid: login });
      expect(await r.metrics.registry.getSingleMetricAsString('kcr_forward_filtered_total')).toMatch(/destination="js"\} 1$/m);
    });

    it('replays a uid range: JetStream drops the resends (one message per uid), the job counts them delivered', async ({ skip }) => {
      if (!present) skip();
      const stream = new NatsStream(uniqueName('kcrtest'));
      await stream.create();
      open.push(stream);
      const r = await relay(kind, [{ type: 'nats', name: 'replayed', url: NATS_URL, subject: stream.subject, ...settings }]);
      const uids = await ingest(r, 4);
      await until(async () => (await stream.messages()).length === 4, 10_000, 'first delivery');
      const job = await (
        await request(`${r.url}/admin/replay`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ destination: 'replayed', from: uids[1], to: uids[2] }),
        })
      ).body.json();
      let state: any;
      await until(
        async () => (state = await admin(r, 'GET', `/admin/jobs/${(job as { id: string }).id}`)).state === 'done',
        10_000,
        'replay',
      );
      expect(state).toMatchObject({ matched: 2, delivered: 2, deadLettered: 0 });
      expect((await stream.messages()).map((m) => m.msgId)).toEqual(uids);
    });

    it('no stream for the subject: dead letters naming the subject; redriven once a stream captures it', async ({ skip }) => {
      if (!present) skip();
      const stream = new NatsStream(uniqueName('kcrtest'));
      open.push(stream);
      const r = await relay(kind, [{ type: 'nats', name: 'nostream', url: NATS_URL, subject: stream.subject, ...settings }]);
      const uids = await ingest(r, 2);
      const letters = await deadLetters(r, 'nostream', 2);
      expect(letters[0]!.lastError).toContain(`no JetStream stream captures subject "${stream.subject}.event.master.LOGIN"`);
      expect(r.logs.join('')).toContain('no JetStream stream captures subject');
      const summary = await admin(r, 'GET', '/admin/summary');
      expect(summary.destinations[0].lastFailure.error).toContain('no JetStream stream captures subject');

      await stream.create();
      expect(await redrive(r, 'nostream')).toMatchObject({ delivered: 2, deadLettered: 0 });
      expect((await stream.messages()).map((m) => m.msgId).sort()).toEqual([...uids].sort());
    });
  });

  describe('postgres', () => {
    let present = false;
    beforeAll(async () => {
      present = await requireService(POSTGRES_URL, 'PostgreSQL');
    });

    it('creates the table and its indexes, and writes one row per uid with the event columns', async ({ skip }) => {
      if (!present) skip();
      const table = uniqueName('kcr_audit');
      open.push({ close: () => sql(`DROP TABLE IF EXISTS ${table}`).then(() => undefined) });
      const r = await relay(kind, [{ type: 'postgres', name: 'audit', url: POSTGRES_URL, table, ...settings }]);
      const [login] = await ingest(r, 1, (uid) => loginEventJson(uid, { type: 'LOGIN_ERROR', error: 'invalid_user_credentials' }));
      const [adminUid] = await ingest(r, 1, adminEventJson);
      await until(async () => (await sql(`SELECT 1 FROM ${table}`).catch(() => [])).length === 2, 10_000, 'two rows');
      const rows = await sql<any>(`SELECT * FROM ${table} ORDER BY received_at`);
      expect(rows[0]).toMatchObject({
        uid: login,
        kind: 'event',
        realm_id: 'master',
        type: 'LOGIN_ERROR',
        user_id: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
        session_id: '0c6e5a57-4a1f-4d8e-b6e2-2f1d9e8c7b6a',
        client_id: 'account-console',
        ip_address: '10.0.0.7',
        error: 'invalid_user_credentials',
        event: expect.objectContaining({ uid: login, type: 'LOGIN_ERROR' }),
      });
      expect(rows[0].time).toBeInstanceOf(Date);
      expect(rows[1]).toMatchObject({
        uid: adminUid,
        kind: 'admin',
        type: 'USER_ACTION',
        user_id: 'a1',
        client_id: 'security-admin-console',
      });
      const indexes = await sql<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [table]);
      expect(indexes.map((i) => i.indexname)).toEqual(
        [`${table}_admin_time`, `${table}_pkey`, `${table}_session`, `${table}_time`, `${table}_user_time`].sort(),
      );
    });

    it('a table with a wrong column type: dead letters naming the column; redriven once the table is fixed', async ({ skip }) => {
      if (!present) skip();
      const table = uniqueName('kcr_audit');
      open.push({ close: () => sql(`DROP TABLE IF EXISTS ${table}`).then(() => undefined) });
      await sql(
        `CREATE TABLE ${table} (uid text PRIMARY KEY, time integer NOT NULL, kind text, realm_id text, type text, user_id text,
         session_id text, client_id text, ip_address text, error text, event jsonb, received_at timestamptz)`,
      );
      const r = await relay(kind, [{ type: 'postgres', name: 'wrong', url: POSTGRES_URL, table, ...settings }]);
      const uids = await ingest(r, 2);
      const letters = await deadLetters(r, 'wrong', 2);
      expect(letters[0]!.lastError).toMatch(/column "time" is of type integer/);

      await sql(`ALTER TABLE ${table} ALTER COLUMN time TYPE timestamptz USING to_timestamp(time)`);
      expect(await redrive(r, 'wrong')).toMatchObject({ delivered: 2, deadLettered: 0 });
      expect((await sql<{ uid: string }>(`SELECT uid FROM ${table}`)).map((x) => x.uid).sort()).toEqual([...uids].sort());
    });
  });
});

describe('TLS to a broker (nats-server of its own, with a private CA and client certificates)', () => {
  it('delivers over TLS with tls.caFile, certFile and keyFile; without the client certificate the server refuses it', async ({ skip }) => {
    if (!existsSync('/usr/sbin/nats-server') && !process.env.PATH?.split(':').some((d) => existsSync(join(d, 'nats-server')))) {
      if (process.env.CI) throw new Error('nats-server is absent: .ci/run installs it');
      skip();
    }
    const certs = makeTestCerts();
    const dir = mkdtempSync(join(tmpdir(), 'kcr-nats-tls-'));
    open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
    const port = await freePort();
    const server = spawn(
      'nats-server',
      [
        '-a',
        '127.0.0.1',
        '-p',
        String(port),
        '-js',
        '-sd',
        dir,
        '--tls',
        '--tlscert',
        certs.cert,
        '--tlskey',
        certs.key,
        '--tlscacert',
        certs.ca,
        '--tlsverify',
      ],
      { stdio: 'ignore' },
    );
    open.push({ close: async () => void server.kill('SIGKILL') });
    await until(() => reachable(`nats://127.0.0.1:${port}`), 10_000, 'nats-server with TLS');
    const url = `tls://127.0.0.1:${port}`;
    const tls = { caFile: certs.ca, certFile: certs.cert, keyFile: certs.key };
    const subject = uniqueName('kcrtls');
    const nc = await natsConnect({
      servers: `127.0.0.1:${port}`,
      tls: { ca: readFileSync(certs.ca, 'utf8'), cert: readFileSync(certs.cert, 'utf8'), key: readFileSync(certs.key, 'utf8') },
    });
    open.push({ close: () => nc.close() });
    await (await jetstreamManager(nc)).streams.add({ name: subject.toUpperCase(), subjects: [`${subject}.>`] });

    const r = await relay('redis', [
      { type: 'nats', name: 'secure', url, subject, tls, ...settings },
      { type: 'nats', name: 'nocert', url, subject, tls: { caFile: certs.ca }, ...settings },
    ]);
    const uids = await ingest(r, 2);
    await until(
      async () => (await (await jetstreamManager(nc)).streams.info(subject.toUpperCase())).state.messages === 2,
      10_000,
      'two messages over TLS',
    );
    const letters = await deadLetters(r, 'nocert', 2);
    expect(letters.map((l) => l.event.uid).sort()).toEqual([...uids].sort());
    const ready = (await (await request(`${r.url}/readyz`)).body.json()) as any;
    expect(ready.destinations.find((d: { name: string }) => d.name === 'secure').connection.state).toBe('up');
    expect(ready.destinations.find((d: { name: string }) => d.name === 'nocert').connection.state).toBe('down');
  });
});
