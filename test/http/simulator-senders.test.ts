// The simulator's other senders (npm run simulate with SIM_PHASETWO_SECRET and SIM_SSF_KEY) against a
// relay configured as its `ssf-key` command says: p2 webhooks are stored once (their resends and
// second webhooks answered duplicate), every logout is also pushed as a SET (answered 202, its
// resend too), and the SETs' logouts are published.
import { spawn } from 'node:child_process';
import { expect, inject, it } from 'vitest';
import { startRelay } from '../support/relay.js';
import { until } from '../support/sink.js';

const P2_SECRET = 'p2-simulator-secret-0123';

/** Runs the simulator as a child process (the relay answers it from this one), resolving with its output. */
async function simulate(env: Record<string, string>, ...args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['scripts/simulate.mjs', ...args], { env: { PATH: process.env.PATH, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  expect(code, stderr).toBe(0);
  return stdout;
}

it('sends Phase Two webhooks and SSF pushes that the relay stores once and turns into logouts', async () => {
  // KEY='…' lines, as a shell would read them.
  const keys = Object.fromEntries(
    (await simulate({}, 'ssf-key'))
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 2, -1)]),
  ) as { SIM_SSF_KEY: string; TOKEN_ISSUERS: string };
  const relay = await startRelay(
    {
      REDIS_URL: inject('redisUrl'),
      PHASETWO_SECRETS: P2_SECRET,
      TOKEN_ISSUERS: keys.TOKEN_ISSUERS,
      SSF_PUSH_AUTHORIZATION: 'Bearer simulated-stream-0123',
    },
    { logout: true },
  );
  try {
    const output = await simulate({
      RELAY_URL: relay.url,
      AUTH_SECRET: relay.config.AUTH_SECRET,
      SIM_PHASETWO_SECRET: P2_SECRET,
      SIM_SSF_KEY: keys.SIM_SSF_KEY,
      SIM_SSF_AUTHORIZATION: 'Bearer simulated-stream-0123',
      SIM_RATE: '200',
      SIM_COUNT: '60',
      SIM_RESEND_EVERY: '4',
    });
    // Every third event goes through p2 (the admin logouts through the emitter's kc-1).
    expect(output).toMatch(/60 sent \(json \d+, flatbuffer \d+, phasetwo 20\), 15 resent/);
    const sets = Number(/(\d+) SETs pushed/.exec(output)?.[1]);
    expect(sets).toBeGreaterThan(0);
    // Every event accepted once; each resend a duplicate, and a p2 resend twice (a second webhook too).
    const answers = /answers (.*)$/m.exec(output)![1]!;
    expect(answers).toMatch(/200 accepted: 60\b/);
    expect(answers).not.toMatch(/\b(4|5)\d\d\b/);
    const ssfLogouts = async () =>
      (await relay.metrics.registry.getSingleMetric('kcr_logout_published_total')!.get()).values
        .filter((v) => v.labels.reason === 'session-revoked')
        .reduce((sum, v) => sum + v.value, 0);
    await until(async () => (await ssfLogouts()) === sets, 10_000, 'a logout per SET');
    const stored = await relay.store.scan(null, 1000);
    expect(stored.filter((e) => e.event.kind === 'security-event')).toHaveLength(sets);
    expect(stored.filter((e) => e.event.source.format === 'phasetwo')).toHaveLength(20);
  } finally {
    await relay.close();
  }
});
