// docker-compose.yml for real: `docker-compose up` of the file users run, with only its image
// variables pointed at images made here (REDIS_IMAGE, RELAY_IMAGE: no Docker Hub) and the relay
// published on a free loopback port (RELAY_PORT). Redis, the relay, the sink and the simulator come
// up; the sink prints deliveries it verified; `docker-compose stop` lets the relay exit 0 within
// stop_grace_period; `docker-compose down` leaves no container, network or volume behind.
// Run by `npm run test:container` (scripts/container/test.sh), not by `npm test`.
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docker, inspect, run, type Run } from '../support/docker.js';
import { freePort } from '../support/redis-server.js';
import { until } from '../support/sink.js';

const PROJECT = `kcr-ct-${randomBytes(4).toString('hex')}`;
const IMAGE = process.env.KCR_IMAGE ?? 'kc-event-relay:local';
const REDIS_IMAGE = process.env.KCR_REDIS_IMAGE ?? 'kcr-local/redis:bookworm';
let port: number;
let env: NodeJS.ProcessEnv;

function compose(args: string[], timeoutMs = 120_000): Promise<Run> {
  return run('docker-compose', ['--project-name', PROJECT, '--file', 'docker-compose.yml', ...args], { timeoutMs, env });
}

/** Names of the project's containers (all states), networks or volumes, by compose's project label. */
async function left(kind: 'ps -a' | 'network ls' | 'volume ls'): Promise<string[]> {
  const format = kind === 'ps -a' ? '{{.Names}}' : '{{.Name}}';
  const { stdout } = await docker([...kind.split(' '), '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', format]);
  return stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  port = await freePort();
  env = {
    ...process.env,
    AUTH_SECRET: randomBytes(24).toString('base64url'),
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    REDIS_IMAGE,
    RELAY_IMAGE: IMAGE,
    RELAY_PORT: `127.0.0.1:${port}`,
    SIM_RATE: '20',
  };
  // --no-build: the image is the one build-image.sh made from the same Dockerfile.
  await compose(['up', '--detach', '--no-build'], 180_000);
});
afterAll(async () => {
  await compose(['down', '--volumes', '--remove-orphans', '--timeout', '20'], 120_000).catch(() => undefined);
});

it('brings up Redis, the relay, the sink and the simulator; the sink prints verified deliveries within a minute', async () => {
  const running = await compose(['ps', '--services', '--filter', 'status=running']);
  expect(running.stdout.split('\n').filter(Boolean).sort()).toEqual(['redis', 'relay', 'simulator', 'sink']);
  const ready = await request(`http://127.0.0.1:${port}/readyz`);
  expect(await ready.body.json()).toMatchObject({ status: 'ready', store: 'redis' });
  let sinkLog = '';
  await until(
    async () => {
      sinkLog = (await compose(['logs', '--no-color', 'sink'])).stdout;
      return (sinkLog.match(/ verified \d+ /g) ?? []).length >= 20;
    },
    60_000,
    'twenty verified deliveries in the sink log',
  );
  expect(sinkLog).toMatch(/verified \d+ \w+ realm=\w+ user=\S+ from kc-1 \(json\)/);
  expect(sinkLog).toMatch(/verified \d+ \w+ realm=\w+ user=\S+ from kc-2 \(flatbuffer\)/);
  expect(sinkLog).not.toMatch(/REJECTED/);
});

it('docker-compose stop: the relay exits 0 within stop_grace_period; down leaves nothing behind', async () => {
  const relay = (await compose(['ps', '--quiet', 'relay'])).stdout.trim();
  await compose(['stop'], 120_000);
  expect(await inspect(relay, '{{.State.ExitCode}}')).toBe('0');
  await compose(['down', '--volumes', '--remove-orphans'], 120_000);
  expect(await left('ps -a')).toEqual([]);
  expect(await left('network ls')).toEqual([]);
  expect(await left('volume ls')).toEqual([]);
});
