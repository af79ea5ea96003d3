// kc-event-relay:local (scripts/container/build-image.sh, from the repository's Dockerfile) run as
// operators run it: read-only root file system, a volume on the data directory, /tmp on tmpfs, the
// image's non-root user, published on 127.0.0.1 only, the embedded store. One volume, three
// containers in turn: what the first answered 200 survives `docker kill`, what the second answered
// 200 while `docker stop` drained it survives too, and each is answered `duplicate` when resent.
// Run by `npm run test:container` (scripts/container/test.sh), not by `npm test`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { docker, inspect, logs, publishedUrl, removeAll, run, untilHealthy, untilOk } from '../support/docker.js';
import { basic, loginEventJson, uidAt } from '../support/payloads.js';
import { until } from '../support/sink.js';
import { recordContainerFigures } from './figures.js';

const IMAGE = process.env.KCR_IMAGE ?? 'kc-event-relay:local';
const COMPOSE = readFileSync('docker-compose.yml', 'utf8');
/** The relay service's stop_grace_period and SHUTDOWN_TIMEOUT in docker-compose.yml: the test stops as compose does. */
const GRACE_S = parseDuration(/^ {4}stop_grace_period: (\S+)$/m.exec(COMPOSE)![1]!)! / 1000;
const SHUTDOWN_TIMEOUT = /^ {6}SHUTDOWN_TIMEOUT: (\S+)$/m.exec(COMPOSE)![1]!;

const RUN = randomBytes(4).toString('hex');
const VOLUME = `kcr-ct-data-${RUN}`;
const NODE = 'kc-node-1';
const SECRET = randomBytes(24).toString('base64url');
const ADMIN_TOKEN = randomBytes(24).toString('base64url');
const containers: string[] = [];
/** Wall time of each start, docker run to ready. */
const readyMs: number[] = [];

/** Starts a relay container on the shared volume, as an operator would; returns its name and wall time to ready. */
async function startRelay(n: number): Promise<{ name: string; url: string }> {
  const name = `kcr-ct-relay-${RUN}-${n}`;
  containers.push(name);
  const t0 = performance.now();
  await docker([
    'run',
    '--detach',
    '--name',
    name,
    '--read-only',
    '--tmpfs',
    '/tmp',
    '--mount',
    `type=volume,src=${VOLUME},dst=/app/data`,
    '--publish',
    '127.0.0.1::8080',
    '--env',
    `AUTH_SECRET=${SECRET}`,
    '--env',
    `ADMIN_TOKEN=${ADMIN_TOKEN}`,
    '--env',
    `SHUTDOWN_TIMEOUT=${SHUTDOWN_TIMEOUT}`,
    IMAGE,
  ]);
  const url = await publishedUrl(name);
  await untilOk(`${url}/readyz`, 30_000, `${name} ready`);
  readyMs.push(performance.now() - t0);
  return { name, url };
}

async function post(url: string, body: string): Promise<{ status: number; json: { status?: string } }> {
  const res = await request(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(NODE, SECRET) },
    body,
  });
  return { status: res.statusCode, json: (await res.body.json()) as { status?: string } };
}

const now = Date.now();
const events = Array.from({ length: 40 }, (_, i) => {
  const uid = uidAt(now, i);
  return { uid, body: loginEventJson(uid) };
});
const drainedUid = uidAt(now, 1000);

let first: { name: string; url: string };
let second: { name: string; url: string };

beforeAll(async () => {
  await docker(['image', 'inspect', IMAGE]).catch(() => {
    throw new Error(`${IMAGE} is missing: run npm run test:container (it builds the image first)`);
  });
  first = await startRelay(1);
});
afterAll(async () => {
  await removeAll(containers, [VOLUME]);
});

describe('the image as operators run it', () => {
  it('runs on a read-only root file system as the non-root user node, healthy by its own HEALTHCHECK', async () => {
    expect(await inspect(first.name, '{{.HostConfig.ReadonlyRootfs}}')).toBe('true');
    expect(await inspect(first.name, '{{.Config.User}}')).toBe('node');
    expect((await docker(['exec', first.name, 'id', '-u'])).stdout.trim()).toBe('1000');
    // The root file system refuses writes; the data volume and /tmp take them.
    const write = await docker(['exec', first.name, 'sh', '-c', 'touch /app/probe 2>&1; echo rc=$?']);
    expect(write.stdout).toMatch(/Read-only file system[\s\S]*rc=1/);
    await docker(['exec', first.name, 'sh', '-c', 'touch /app/data/probe /tmp/probe && rm /app/data/probe /tmp/probe']);
    // Published on loopback only.
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = await request(`${first.url}/readyz`);
    expect(await ready.body.json()).toMatchObject({ status: 'ready', store: 'embedded' });
    await untilHealthy(first.name);
  });

  it('answers every event 200 accepted', async () => {
    for (const e of events) {
      const answer = await post(first.url, e.body);
      expect(answer).toEqual({ status: 200, json: { status: 'accepted', uid: e.uid } });
    }
  });

  it('keeps every event answered 200 across docker kill: a new container on the volume answers the resends duplicate', async () => {
    await docker(['kill', first.name]);
    expect(await inspect(first.name, '{{.State.ExitCode}}')).toBe('137');
    second = await startRelay(2);
    for (const e of events) {
      expect(await post(second.url, e.body)).toEqual({ status: 200, json: { status: 'duplicate', uid: e.uid } });
    }
    const stored = await request(`${second.url}/admin/events/${events[0]!.uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(stored.statusCode).toBe(200);
    expect(await stored.body.text()).toContain(events[0]!.uid);
  });

  it(`docker stop (grace ${GRACE_S} s, as compose's stop_grace_period) answers the request in flight and exits 0`, async () => {
    const [host, port] = new URL(second.url).host.split(':');
    const body = Buffer.from(loginEventJson(drainedUid));
    const half = Math.floor(body.length / 2);
    const socket = connect(Number(port), host);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Headers and half the body: the request is in flight when SIGTERM arrives.
    socket.write(
      `POST /events HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nAuthorization: ${basic(NODE, SECRET)}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.subarray(0, half));
    const stopping = docker(['stop', '--time', String(GRACE_S), second.name], (GRACE_S + 30) * 1000);
    await until(
      async () => (await logs(second.name)).stdout.includes('shutting down: finishing in-flight requests'),
      10_000,
      'SIGTERM seen',
    );
    socket.end(body.subarray(half));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain(`{"status":"accepted","uid":"${drainedUid}"}`);
    await stopping;
    // 0, not 137: it exited by itself before the grace period's SIGKILL.
    expect(await inspect(second.name, '{{.State.ExitCode}}')).toBe('0');
    expect((await logs(second.name)).stdout).toMatch(/"msg":"stopped"/);
  });

  it('keeps the event answered while draining: a third container answers its resend duplicate', async () => {
    const third = await startRelay(3);
    expect(await post(third.url, loginEventJson(drainedUid))).toEqual({ status: 200, json: { status: 'duplicate', uid: drainedUid } });
  });

  it('logs JSON lines on stdout, nothing on stderr', async () => {
    for (const name of containers) {
      const { stdout, stderr } = await logs(name);
      expect(stderr).toBe('');
      const lines = stdout.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
    }
  });

  it('prints and records the image size and the cold start', async () => {
    const imageBytes = Number(await inspect(IMAGE, '{{.Size}}'));
    const compressed = await run('sh', ['-c', `docker save ${IMAGE} | gzip -c | wc -c`], { timeoutMs: 120_000 });
    const processToReadyMs: number[] = [];
    for (const name of containers) {
      const started = Date.parse(await inspect(name, '{{.State.StartedAt}}'));
      const readyLine = (await logs(name)).stdout.split('\n').find((l) => l.includes('kc-event-relay ready on'))!;
      processToReadyMs.push((JSON.parse(readyLine) as { time: number }).time - started);
    }
    const baseImage = process.env.KCR_NODE_IMAGE ?? 'node:24-bookworm-slim';
    const figures = {
      image: IMAGE,
      baseImage,
      imageBytes,
      baseBytes: Number(await inspect(baseImage, '{{.Size}}')),
      compressedBytes: Number(compressed.stdout.trim()),
      coldStartMs: readyMs,
      processToReadyMs,
    };
    console.log(`container figures: ${JSON.stringify(figures)}`);
    expect(figures.compressedBytes).toBeGreaterThan(0);
    expect(figures.compressedBytes).toBeLessThan(imageBytes);
    recordContainerFigures(figures);
  }, 180_000);
});
