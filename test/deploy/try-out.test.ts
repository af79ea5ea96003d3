// docker-compose.yml's try-out, without a container engine: the same simulator, relay and demo sink
// processes, wired as the compose file wires them. Events flow end to end in both formats, the
// sink verifies every signature (and refuses a wrong one), and the compose file gives the relay
// more time to stop than SHUTDOWN_TIMEOUT. `docker-compose config` validates the file in .ci/run.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { freePort } from '../support/redis-server.js';
import { SECRET, startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

const COMPOSE = readFileSync('docker-compose.yml', 'utf8');
const SINK_SECRET = /SINK_SECRET:-(whsec_[A-Za-z0-9+/=]+)/.exec(COMPOSE)![1]!;

let sink: ChildProcess;
let sinkOutput = '';
let relay: Relay;
const children: ChildProcess[] = [];

function node(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

beforeAll(async () => {
  const port = await freePort();
  sink = node('scripts/demo-sink.mjs', { SINK_SECRET, PORT: String(port) });
  sink.stdout!.on('data', (d: Buffer) => (sinkOutput += d.toString()));
  await until(() => sinkOutput.includes('listening'), 10_000, 'demo sink up');
  const hook = `http://127.0.0.1:${port}/hook`;
  relay = await startRelay(
    {
      REDIS_URL: inject('redisUrl'),
      DESTINATIONS: JSON.stringify([
        { name: 'demo-sink', url: hook, secret: SINK_SECRET },
        {
          name: 'wrong-secret',
          url: hook,
          secret: `whsec_${Buffer.from('not the sink secret but 32 bytes').toString('base64')}`,
          maxAttempts: 1,
        },
      ]),
    },
    { logout: true },
  );
});
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  await relay?.close();
});

it('simulated emitters -> relay -> demo sink: both formats verified, logouts published, a wrong secret refused', async () => {
  const simulator = node('scripts/simulate.mjs', {
    RELAY_URL: relay.url,
    AUTH_SECRET: SECRET,
    SIM_RATE: '100',
    SIM_COUNT: '40',
    SIM_RESEND_EVERY: '4',
  });
  let simOutput = '';
  simulator.stdout!.on('data', (d: Buffer) => (simOutput += d.toString()));
  const code = await new Promise((r) => simulator.once('exit', r));
  expect(code).toBe(0);
  expect(simOutput).toMatch(/40 sent \(json 20, flatbuffer 20\), 10 resent/);
  expect(simOutput).toMatch(/200 duplicate: 10/);

  await until(() => (sinkOutput.match(/^verified /gm) ?? []).length >= 40, 15_000, 'forty verified deliveries');
  expect(sinkOutput).toMatch(/^verified \d+ LOGIN realm=\w+ user=\S+ from kc-1 \(json\)$/m);
  expect(sinkOutput).toMatch(/^verified \d+ \w+ realm=\w+ user=\S+ from kc-2 \(flatbuffer\)$/m);
  expect(sinkOutput).toMatch(/^REJECTED \d+: signature does not match$/m);
  await until(
    async () => (await relay.metrics.registry.getSingleMetric('kcr_logout_published_total')!.get()).values.length > 0,
    10_000,
    'logouts published',
  );
});

it('the compose file lets the relay finish its graceful shutdown before the container is killed', () => {
  const grace = parseDuration(/stop_grace_period: (\S+)/.exec(COMPOSE)![1]!)!;
  const shutdown = parseDuration(/SHUTDOWN_TIMEOUT: (\S+)/.exec(COMPOSE)![1]!)!;
  expect(grace).toBeGreaterThan(shutdown);
});
