// WORKERS=2: two relay processes behind one port, the built relay (dist/) as a child process on a
// real Redis. Events spread over both processes and are stored once with distinct uids; each
// logout is published once; /metrics and the status page's reads count the whole replica whichever
// process answers; replay jobs, revocations and the dedup of Phase Two and SSF senders hold across
// processes through the store; SIGTERM drains both and exits 0; a process killed with -9 is
// restarted under its own consumer name and nothing acknowledged is lost. The embedded store
// refuses WORKERS=2.
import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SESSION_REVOKED } from '../../src/event/security-events.js';
import type { LogoutMessage } from '../../src/logout/message.js';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { basic, freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, NODE, SECRET, startRelay, uniquePrefix } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const redisUrl = inject('redisUrl');
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function track(child: ChildRelay): ChildRelay {
  const stop = async () => {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGTERM');
    await child.exited;
  };
  cleanup.push(stop);
  return child;
}

/** The relay with WORKERS=2, once both processes are ready (the supervisor says so). */
async function startWorkers(env: Record<string, string>): Promise<ChildRelay> {
  const child = await startChildRelay({ REDIS_URL: redisUrl, WORKERS: '2', LOG_LEVEL: 'debug', ...env });
  await until(() => child.output().includes('2 relay processes'), 30_000, 'both relay processes ready');
  return child;
}

interface LogLine {
  pid: number;
  worker?: number;
  workerPid?: number;
  msg: string;
  method?: string;
  url?: string;
}

function logLines(child: ChildRelay): LogLine[] {
  return child
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Pids of the processes that answered requests to `path` (LOG_LEVEL=debug writes a line per answer). */
function answeredBy(child: ChildRelay, method: string, path: string): Set<number> {
  return new Set(
    logLines(child)
      .filter((l) => l.msg === 'answered' && l.method === method && l.url?.startsWith(path))
      .map((l) => l.pid),
  );
}

/** One request on a connection of its own: node:cluster hands each new connection to the next process. */
async function fresh(url: string, path: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}) {
  const origin = new URL(url).origin;
  const client = new Client(origin);
  try {
    const res = await client.request({ path, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ?? null });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await client.close();
  }
}

const ingest = { 'content-type': 'application/json', authorization: basic(NODE, SECRET) };
const post = (url: string, body: string) => fresh(url, '/events', { method: 'POST', body, headers: ingest });

async function metric(url: string, pattern: RegExp): Promise<number | null> {
  const { text } = await fresh(url, '/metrics');
  const m = pattern.exec(text);
  return m ? Number(m[1]) : null;
}

/** A sample of a labelled series in a /metrics text, whatever the labels' order (null: absent). */
function sample(text: string, name: string, labels: Record<string, string>): number | null {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Subscribes to the replica's logout channel; `heard` fills as messages come. */
async function listen(prefix: string): Promise<{ heard: LogoutMessage[]; close: () => void }> {
  const heard: LogoutMessage[] = [];
  const subscriber = new Redis(redisUrl, { maxRetriesPerRequest: null });
  subscriber.on('error', () => {});
  subscriber.on('message', (_channel: string, text: string) => heard.push(JSON.parse(text) as LogoutMessage));
  await subscriber.subscribe(`${prefix}logout`);
  return { heard, close: () => subscriber.disconnect() };
}

const P2_SECRET = 'workers-p2-webhook-secret-0123';
const SSF_ISSUER = 'https://kc.workers.test/realms/shop';
const SSF_AUDIENCE = 'https://relay.workers.test/ssf';
const REALM_ID = randomUUID();

/** The bits a relay process puts in the uids it assigns (src/event/snowflake.ts): its processId. */
const processIdOf = (uid: string): number => Number((BigInt(uid) >> 12n) & 0x1fn);

describe('WORKERS=2 on Redis', () => {
  let child: ChildRelay;
  const prefix = uniquePrefix();
  const withUid: string[] = [];
  const withUidBodies: string[] = [];
  const assigned: string[] = [];

  const sink = new Sink();
  // The SSF transmitter's realm key, trusted inline (TOKEN_ISSUERS).
  let ssfKey: { kid: string; privateKey: CryptoKey };

  beforeAll(async () => {
    await sink.start();
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    ssfKey = { kid: randomUUID(), privateKey };
    const jwk = { ...(await exportJWK(publicKey)), kid: ssfKey.kid, alg: 'RS256', use: 'sig' };
    child = await startWorkers({
      KEY_PREFIX: prefix,
      DESTINATIONS: JSON.stringify([{ name: 'sink', url: sink.url }]),
      PHASETWO_SECRETS: P2_SECRET,
      TOKEN_ISSUERS: JSON.stringify([{ issuer: SSF_ISSUER, audiences: [SSF_AUDIENCE], realmId: REALM_ID, jwks: { keys: [jwk] } }]),
    });
  }, 40_000);
  afterAll(async () => {
    child.process.kill('SIGTERM');
    await child.exited;
    await sink.stop();
  });

  it('spreads events over both processes and stores each once, with distinct uids', async () => {
    // Bodies without a uid first: each process assigns uids, which must never collide.
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => post(child.url, JSON.stringify({ type: 'LOGIN', realmId: 'r', time: Date.now() }))),
      );
      for (const a of answers) {
        expect(a.status).toBe(200);
        const json = JSON.parse(a.text) as { status: string; uid: string };
        expect(json.status).toBe('accepted');
        assigned.push(json.uid);
      }
    }
    for (let round = 0; round < 4; round++) {
      const bodies = Array.from({ length: 5 }, () => {
        const uid = freshUid();
        withUid.push(uid);
        const body = loginEventJson(uid);
        withUidBodies.push(body);
        return body;
      });
      const answers = await Promise.all(bodies.map((b) => post(child.url, b)));
      expect(answers.map((a) => `${a.status} ${(JSON.parse(a.text) as { status: string }).status}`)).toEqual(Array(5).fill('200 accepted'));
    }

    expect(answeredBy(child, 'POST', '/events').size).toBe(2);
    expect(new Set([...assigned, ...withUid]).size).toBe(40);
    // Both processes assigned some, each with its own bits (0b00100 and 0b00101).
    expect(new Set(assigned.map(processIdOf))).toEqual(new Set([4, 5]));

    // Stored once: resends are duplicates whichever process takes them, the buffer holds 40.
    const resent = await Promise.all(withUidBodies.map((b) => post(child.url, b)));
    expect(resent.map((a) => (JSON.parse(a.text) as { status: string }).status)).toEqual(Array(20).fill('duplicate'));
    for (const uid of [...assigned, ...withUid]) {
      const found = await fresh(child.url, `/admin/events/${uid}`, { headers: admin });
      expect(found.status).toBe(200);
    }
    expect(await metric(child.url, /^kcr_buffer_length (\d+)$/m)).toBe(40);
  });

  it('counts every event once in /metrics and the summary, whichever process answers', async () => {
    // Each read on a new connection, the kinds at odd and even places: round robin alternates processes.
    for (const read of ['metrics', 'metrics', 'summary', 'summary', 'metrics', 'summary', 'metrics', 'summary']) {
      if (read === 'metrics') {
        const { text } = await fresh(child.url, '/metrics');
        expect(text).toMatch(/^kcr_ingest_requests_total\{outcome="accepted"\} 40$/m);
        expect(text).toMatch(/^kcr_ingest_requests_total\{outcome="duplicate"\} 20$/m);
        expect(text).toMatch(/^kcr_ingest_duration_seconds_count\{outcome="accepted"\} 40$/m);
      } else {
        const summary = JSON.parse((await fresh(child.url, '/admin/summary', { headers: admin })).text) as {
          ingest: Record<string, number>;
        };
        expect(summary.ingest).toMatchObject({ accepted: 40, duplicate: 20 });
      }
    }
    expect(answeredBy(child, 'GET', '/metrics').size).toBe(2);
    expect(answeredBy(child, 'GET', '/admin/summary').size).toBe(2);
    expect(await metric(child.url, /^kcr_worker_restarts_total (\d+)$/m)).toBe(0);
  });

  it('answers the probes from either process', async () => {
    for (let i = 0; i < 4; i++) {
      // Not every round: the readiness reads fall on odd and even connections.
      if (i % 2 === 1) expect((await fresh(child.url, '/healthz')).status).toBe(200);
      const ready = await fresh(child.url, '/readyz');
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.text)).toMatchObject({ status: 'ready', store: 'redis' });
    }
    expect(answeredBy(child, 'GET', '/readyz').size).toBe(2);
    expect(await metric(child.url, /^kcr_ready (\d+)$/m)).toBe(1);
  });

  it('publishes each logout exactly once, and the recent logouts of both processes', async () => {
    const { heard, close } = await listen(prefix);
    try {
      const uids = Array.from({ length: 20 }, () => freshUid());
      const answers = await Promise.all(
        uids.map((uid, i) => post(child.url, loginEventJson(uid, { type: 'LOGOUT', sessionId: `s-${i}` }))),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      await until(() => uids.every((u) => heard.some((m) => m.eventUid === u)), 15_000, 'every logout heard');
      // Both publishers have read past every event and acknowledged what they published.
      await until(async () => (await metric(child.url, /^kcr_logout_lag (\d+)$/m)) === 0, 10_000, 'logout lag 0');
      await until(
        async () => (await metric(child.url, /^kcr_logout_published_total\{kind="session",reason="logout"\} (\d+)$/m)) === 20,
        10_000,
        'both processes counted 20 published',
      );
      expect(heard.map((m) => m.eventUid).sort()).toEqual([...uids].sort());
      expect(new Set(heard.map((m) => m.id)).size).toBe(20);
      const recent = JSON.parse((await fresh(child.url, '/admin/logouts/recent?limit=50', { headers: admin })).text) as LogoutMessage[];
      expect(recent.map((m) => m.eventUid).sort()).toEqual([...uids].sort());
    } finally {
      close();
    }
  });

  it('finds a replay job in the store, and the destinations (circuit, connection), whichever process is asked', async () => {
    const started = await fresh(child.url, '/admin/replay', {
      method: 'POST',
      body: JSON.stringify({ destination: 'sink' }),
      headers: { ...admin, 'content-type': 'application/json' },
    });
    expect(started.status).toBe(202);
    const { id } = JSON.parse(started.text) as { id: string };
    const read = async () => {
      const job = await fresh(child.url, `/admin/jobs/${id}`, { headers: admin });
      expect(job.status).toBe(200);
      return JSON.parse(job.text) as { id: string; destination: string; state: string; delivered: number; replica: string };
    };
    await until(async () => (await read()).state === 'done', 15_000, 'the job done');
    // New connections alternate processes: the job reads at odd and even places. The process that
    // did not run it knows it from the store only (its progress saved there by the one that did).
    const reads: Array<Awaited<ReturnType<typeof read>>> = [];
    for (let i = 0; i < 4; i++) {
      reads.push(await read());
      if (i % 2 === 1) continue;
      // The replica's view of the sink: no process's circuit open, its link up (delivered to).
      const destinations = JSON.parse((await fresh(child.url, '/admin/destinations', { headers: admin })).text) as Array<{
        circuit: string;
        connection: { state: string };
      }>;
      expect(destinations.map((d) => `${d.circuit} ${d.connection.state}`)).toEqual(['closed up']);
    }
    expect(answeredBy(child, 'GET', '/admin/jobs/').size).toBe(2);
    await until(() => answeredBy(child, 'GET', '/admin/destinations').size === 2, 5_000, 'both processes answered /admin/destinations');
    expect(new Set(reads.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(reads[0]).toMatchObject({ id, destination: 'sink', state: 'done' });
    expect(reads[0]!.delivered).toBeGreaterThanOrEqual(40);
    // Run under the consumer name of the process that took the request: each process owns its jobs.
    expect(reads[0]!.replica).toMatch(/-w0(-p1)?$/);
  });

  it('takes Phase Two webhooks and SSF pushes on either process: each stored once, its logout published once, its revocation read by both', async () => {
    const { heard, close } = await listen(prefix);
    try {
      const p2Id = randomUUID();
      const p2Session = randomUUID();
      const p2Body = JSON.stringify({
        id: p2Id,
        time: Date.now(),
        realmId: REALM_ID,
        realmName: 'shop',
        uid: randomUUID(),
        authDetails: { realmId: REALM_ID, clientId: 'account-console', userId: randomUUID(), username: 'alice', sessionId: p2Session },
        details: { username: 'alice' },
        type: 'access.LOGOUT',
      });
      const p2Headers = {
        'content-type': 'application/json',
        'x-keycloak-signature': createHmac('sha256', P2_SECRET).update(p2Body).digest('hex'),
      };
      const ssfSession = randomUUID();
      const jti = randomUUID();
      const iat = Math.floor(Date.now() / 1000);
      const set = await new SignJWT({
        jti,
        iss: SSF_ISSUER,
        iat,
        aud: SSF_AUDIENCE,
        events: { [SESSION_REVOKED]: { event_timestamp: iat, initiating_entity: 'user', reason_admin: { en: 'User logout' } } },
        sub_id: {
          format: 'complex',
          user: { format: 'iss_sub', iss: SSF_ISSUER, sub: randomUUID() },
          session: { format: 'opaque', id: ssfSession },
        },
        txn: randomUUID(),
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: ssfKey.kid })
        .sign(ssfKey.privateKey);

      // One after the other, each on a new connection: the four sends of each alternate processes,
      // and the dedup (p2 event id, SET jti) is the store's, so it holds across them.
      const p2Answers: string[] = [];
      for (let i = 0; i < 4; i++) {
        const p2 = await fresh(child.url, '/webhooks/phasetwo', { method: 'POST', body: p2Body, headers: p2Headers });
        p2Answers.push(`${p2.status} ${(JSON.parse(p2.text) as { status: string }).status}`);
      }
      const ssfAnswers: number[] = [];
      for (let i = 0; i < 4; i++) {
        const ssf = await fresh(child.url, '/ssf/push', {
          method: 'POST',
          body: set,
          headers: { 'content-type': 'application/secevent+jwt' },
        });
        ssfAnswers.push(ssf.status);
      }
      expect(p2Answers).toEqual(['200 accepted', '200 duplicate', '200 duplicate', '200 duplicate']);
      expect(ssfAnswers).toEqual([202, 202, 202, 202]);
      await until(() => answeredBy(child, 'POST', '/webhooks/phasetwo').size === 2, 5_000, 'both processes answered /webhooks/phasetwo');
      await until(() => answeredBy(child, 'POST', '/ssf/push').size === 2, 5_000, 'both processes answered /ssf/push');

      const forP2 = () => heard.filter((m) => m.sessionId === p2Session);
      const forSet = () => heard.filter((m) => m.jti === jti);
      await until(() => forP2().length > 0 && forSet().length > 0, 15_000, 'both logouts heard');
      // Both publishers have read past both events: anything published twice would be heard by now.
      await until(async () => (await metric(child.url, /^kcr_logout_lag (\d+)$/m)) === 0, 10_000, 'logout lag 0');
      expect(forP2()).toHaveLength(1);
      expect(forSet()).toHaveLength(1);
      expect(forSet()[0]).toMatchObject({ kind: 'session', reason: 'session-revoked', realmId: REALM_ID, sessionId: ssfSession });

      // Counted once per request, summed over the processes, whichever answers the scrape.
      for (let i = 0; i < 2; i++) {
        const { text } = await fresh(child.url, '/metrics');
        for (const sender of ['phasetwo', 'ssf']) {
          expect(sample(text, 'kcr_sender_requests_total', { sender, outcome: 'accepted' }), sender).toBe(1);
          expect(sample(text, 'kcr_sender_requests_total', { sender, outcome: 'duplicate' }), sender).toBe(3);
        }
      }

      // Revocations live in the store: either process lists both.
      for (let i = 0; i < 2; i++) {
        const listed = await fresh(child.url, `/admin/revocations?realmId=${REALM_ID}`, { headers: admin });
        expect(listed.status).toBe(200);
        const scopes = (JSON.parse(listed.text) as Array<{ scope: string }>).map((r) => r.scope);
        expect(scopes).toEqual(expect.arrayContaining([`session:${p2Session}`, `session:${ssfSession}`]));
      }
      await until(() => answeredBy(child, 'GET', '/admin/revocations').size === 2, 5_000, 'both processes answered /admin/revocations');
    } finally {
      close();
    }
  });
});

// As a kill -9 of one relay: node:cluster ends a worker whose primary is gone, in-flight requests with it.
it('kill -9 of the supervisor: its relay processes exit too, none is left behind', async () => {
  const child = track(await startWorkers({ KEY_PREFIX: uniquePrefix() }));
  const pids = logLines(child)
    .filter((l) => l.msg.startsWith('relay process') && l.workerPid !== undefined)
    .map((l) => l.workerPid!);
  expect(pids).toHaveLength(2);
  child.process.kill('SIGKILL');
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  await until(() => pids.every((pid) => !alive(pid)), 20_000, 'both relay processes gone');
}, 60_000);

it('SIGTERM to the supervisor: an in-flight request is answered and stored, both processes drain, exit 0', async () => {
  const child = track(await startWorkers({ KEY_PREFIX: uniquePrefix() }));
  const uid = freshUid();
  const body = Buffer.from(loginEventJson(uid));
  const socket = connect(Number(new URL(child.url).port), '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let answer = '';
  socket.on('data', (d) => (answer += d.toString()));
  socket.write(
    `POST /events HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(NODE, SECRET)}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, 20));
  await new Promise((r) => setTimeout(r, 100));
  child.process.kill('SIGTERM');
  await until(() => child.output().includes('every relay process finishes'), 5_000, 'the supervisor shutting down');
  socket.write(body.subarray(20));
  await until(() => answer.includes('\r\n\r\n{'), 5_000, 'answer to the in-flight request');
  expect(answer).toMatch(/^HTTP\/1\.1 200/);
  expect(answer).toContain(`"uid":"${uid}"`);
  expect(await child.exited).toBe(0);
  const stopped = logLines(child).filter((l) => l.msg === 'stopped');
  expect(new Set(stopped.map((l) => l.worker ?? 'supervisor'))).toEqual(new Set([0, 1, 'supervisor']));
}, 60_000);

it('kill -9 of one process: it is restarted under its own name, and every accepted event is stored and delivered', async () => {
  const sink = new Sink();
  sink.behave = () => ({ status: 200, delayMs: 300 });
  await sink.start();
  cleanup.push(() => sink.stop());
  // Nobody would claim the killed process's pending events for ten minutes: only its restart under
  // the same consumer name can deliver them.
  const destinations = JSON.stringify([{ name: 'sink', url: sink.url, concurrency: 4 }]);
  const child = track(await startWorkers({ KEY_PREFIX: uniquePrefix(), DESTINATIONS: destinations, FORWARD_CLAIM_IDLE: '10m' }));
  const accepted: string[] = [];
  const postSome = async (n: number) => {
    const uids = Array.from({ length: n }, () => freshUid());
    const answers = await Promise.all(uids.map((uid) => post(child.url, loginEventJson(uid))));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      accepted.push(uids[i]!);
    });
  };
  await postSome(30);
  await until(() => sink.received.length >= 6, 10_000, 'deliveries under way');
  const victim = logLines(child).find((l) => l.msg === 'relay process 0 ready')!.workerPid!;
  process.kill(victim, 'SIGKILL');
  expect(new Set(sink.delivered).size).toBeLessThan(30);
  // Once the supervisor knows (a connection handed to the process as it died waits for the
  // sender's timeout), the other process takes every new connection until the restart.
  await until(() => child.output().includes('relay process 0 died; restarting it'), 10_000, 'the death noticed');
  await postSome(10);
  await until(() => logLines(child).filter((l) => l.msg === 'relay process 0 ready').length === 2, 30_000, 'process 0 restarted');
  await postSome(10);

  sink.behave = () => ({ status: 200 });
  await until(() => accepted.every((u) => sink.delivered.includes(u)), 30_000, 'every accepted event delivered');
  for (const uid of accepted) expect((await fresh(child.url, `/admin/events/${uid}`, { headers: admin })).status).toBe(200);
  await until(async () => (await metric(child.url, /^kcr_forward_pending\{destination="sink"\} (\d+)$/m)) === 0, 10_000, 'nothing pending');
  expect(await metric(child.url, /^kcr_worker_restarts_total (\d+)$/m)).toBe(1);
  expect(child.process.exitCode).toBeNull();
}, 90_000);

it('a process that finds the configuration unusable at start stops the replica with exit 78', async () => {
  const prefix = uniquePrefix();
  const first = await startRelay({ REDIS_URL: redisUrl, KEY_PREFIX: prefix, PARTITIONS: '1' });
  expect((await request(`${first.url}/events`, { method: 'POST', headers: ingest, body: loginEventJson(freshUid()) })).statusCode).toBe(
    200,
  );
  await first.close();
  const result = spawnSync(process.execPath, ['dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      AUTH_SECRET: SECRET,
      HOST: '127.0.0.1',
      PORT: '0',
      REDIS_URL: redisUrl,
      KEY_PREFIX: prefix,
      PARTITIONS: '2',
      WORKERS: '2',
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.stdout + result.stderr).toMatch(/PARTITIONS/);
  expect(result.stdout).toContain('exited during start-up; stopping the others');
  expect(result.status).toBe(78);
}, 60_000);

describe('the embedded store', () => {
  it('refuses WORKERS=2 at start: exit 78, the variable named', () => {
    const result = spawnSync(process.execPath, ['dist/src/main.js'], {
      env: { PATH: process.env.PATH, AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', DATA_DIR: '/nonexistent/kcr', WORKERS: '2' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(result.stderr).toMatch(/WORKERS: WORKERS above 1 needs the Redis store/);
    expect(result.status).toBe(78);
  });

  it('runs one process for WORKERS=auto, and says so at start', async () => {
    const child = track(await startChildRelay({ DATA_DIR: mkdtempSync(join(tmpdir(), 'kcr-workers-')), WORKERS: 'auto' }));
    await until(() => child.output().includes('ready on'), 15_000, 'ready');
    expect(child.output()).toContain('WORKERS=auto: the embedded store runs in one process');
    expect(child.output()).not.toContain('relay process');
  });
});
