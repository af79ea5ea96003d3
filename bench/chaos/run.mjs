#!/usr/bin/env node
// `npm run chaos`: the relay's promises checked under faults, Jepsen style (docs: docs/guarantees.md).
//   npm run chaos                      Redis (AOF always), Redis (AOF everysec: loss measured, not
//                                      asserted) and the embedded store, ~2 minutes of faults
//   npm run chaos -- --quick           Redis (AOF always) and embedded, ~30 s of faults (.ci/run)
//                                      (both runs add `brokers`: RabbitMQ, NATS JetStream and
//                                      PostgreSQL as destinations, on Redis, with broken links)
//   npm run chaos -- --seed 42         the same fault schedule and event stream again
//   npm run chaos -- --stores redis,embedded    a subset (redis, everysec, embedded, brokers)
//   npm run chaos -- --seconds 300     longer faults (or hostile input) per store
//   npm run chaos -- --workers 2       each Redis replica runs WORKERS=2 relay processes, and one of
//                                      them is killed -9 now and then (the embedded store keeps 1)
//   npm run chaos -- hostile [--quick] hostile input against one relay (bench/chaos/hostile.mjs)
// Prints a verdict table per store, writes it as JSON under the OS temp dir, and exits 1 on any lost
// or unexpected event, any answer other than 200/503 to a valid event, or any relay crash.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killAllSync, stopAll } from '../lib/procs.mjs';
import { flatbufferBuilder } from './bodies.mjs';
import { missingServices } from './brokers.mjs';
import { Prng } from './prng.mjs';
import { MAIN_JS, resumeAllRedis } from './services.mjs';
import { RELAY_SETTINGS, runScenario } from './scenario.mjs';
import { senderSettings } from './senders.mjs';
import { failures, judge, printTable } from './verdict.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function parseArgs(argv) {
  const args = { mode: 'faults', quick: false, seed: null, stores: null, seconds: null, workers: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'hostile') args.mode = 'hostile';
    else if (a === '--quick') args.quick = true;
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a === '--stores') args.stores = argv[++i].split(',');
    else if (a === '--seconds') args.seconds = Number(argv[++i]);
    else if (a === '--workers') args.workers = Number(argv[++i]);
    else throw new Error(`unknown argument ${a} (see bench/chaos/run.mjs)`);
  }
  if (args.seed !== null && !Number.isInteger(args.seed)) throw new Error('--seed takes an integer');
  if (args.seconds !== null && !(args.seconds >= 5)) throw new Error('--seconds takes a number of seconds, at least 5');
  if (!Number.isInteger(args.workers) || args.workers < 1 || args.workers > 64) throw new Error('--workers takes an integer from 1 to 64');
  args.seed ??= Date.now() % 2 ** 31;
  return args;
}

const SCENARIOS = {
  redis: { store: 'redis', fsync: 'always', seconds: 45, quickSeconds: 15, lossAsserted: true },
  everysec: { store: 'redis', fsync: 'everysec', seconds: 30, quickSeconds: 10, lossAsserted: false },
  embedded: { store: 'embedded', seconds: 45, quickSeconds: 15, lossAsserted: true },
  brokers: { store: 'redis', fsync: 'always', destinations: 'brokers', seconds: 45, quickSeconds: 15, lossAsserted: true },
};

const log = (line) => process.stderr.write(`[chaos] ${line}\n`);

async function faultsRun(args) {
  const names = args.stores ?? (args.quick ? ['redis', 'embedded', 'brokers'] : ['redis', 'everysec', 'embedded', 'brokers']);
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`unknown store ${n}: redis, everysec, embedded or brokers`);
  if (names.includes('brokers')) {
    const missing = await missingServices();
    if (missing.length > 0) {
      // CI starts the three servers (.ci/run): there, their absence is a failure, not a skip.
      if (process.env.CI || args.stores) throw new Error(`brokers scenario: not reachable: ${missing.join(', ')}`);
      log(`skipping the brokers scenario: not reachable: ${missing.join(', ')} (.ci/run starts them)`);
      names.splice(names.indexOf('brokers'), 1);
    }
  }
  // Relay and Redis logs stay here when the run fails; the directory is removed when it passes.
  const runDir = mkdtempSync(join(tmpdir(), 'kcr-chaos-'));
  const flatbuffer = await flatbufferBuilder(ROOT);
  const senders = await senderSettings();
  const prng = new Prng(args.seed);
  const verdicts = [];
  const problems = [];
  for (const name of names) {
    const s = SCENARIOS[name];
    const seconds = args.seconds ?? (args.quick ? s.quickSeconds : s.seconds);
    const scenarioName = { everysec: 'redis-everysec', redis: 'redis-always', embedded: 'embedded', brokers: 'brokers' }[name];
    const result = await runScenario({
      name: scenarioName,
      store: s.store,
      fsync: s.fsync,
      destinations: s.destinations,
      // WORKERS needs Redis: the embedded store is one process.
      workers: s.store === 'redis' ? args.workers : 1,
      durationMs: seconds * 1000,
      quick: args.quick,
      prng: prng.fork(name),
      runDir,
      root: ROOT,
      flatbuffer,
      senders,
      progress: log,
    });
    try {
      const v = await judge(result);
      v.lossAsserted = s.lossAsserted;
      verdicts.push(v);
      for (const f of failures(v, s)) problems.push(`${scenarioName}: ${f}`);
    } finally {
      await result.close();
    }
  }
  const out = join(tmpdir(), `kcr-chaos-verdict-${args.seed}.json`);
  const command = `npm run chaos --${args.quick ? ' --quick' : ''}${args.seconds ? ` --seconds ${args.seconds}` : ''}${args.workers > 1 ? ` --workers ${args.workers}` : ''} --seed ${args.seed}`;
  const settings = { seed: args.seed, quick: args.quick, workers: args.workers, relay: RELAY_SETTINGS, command };
  writeFileSync(out, `${JSON.stringify({ settings, verdicts }, null, 2)}\n`);
  process.stdout.write(
    `\nkc-event-relay chaos verdict (seed ${args.seed}${args.quick ? ', quick' : ''}${args.workers > 1 ? `, WORKERS=${args.workers} on Redis` : ''}; reproduce: ${settings.command})\n`,
  );
  printTable(verdicts);
  for (const v of verdicts) {
    if (v.lossAsserted) continue;
    // A killed redis-server loses nothing written to the OS; a host crash would lose what was not yet fsynced.
    process.stdout.write(
      `${v.scenario}: loss measured, not asserted (everysec answers before the fsync; these faults kill the Redis process, not its host)\n`,
    );
  }
  process.stdout.write(`${problems.length === 0 ? 'PASS' : `FAIL\n- ${problems.join('\n- ')}\nlogs: ${runDir}`}\nverdict JSON: ${out}\n`);
  if (problems.length === 0) rmSync(runDir, { recursive: true, force: true });
  return problems.length === 0 ? 0 : 1;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run through \`npm run chaos\` (it builds first)`);
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error('redis-server not found on PATH (Debian: apt-get install redis-server)');
  if (args.mode === 'hostile') {
    const { hostileRun } = await import('./hostile.mjs');
    return hostileRun(args, { root: ROOT, log });
  }
  return faultsRun(args);
}

// A child must never outlive the run, whatever way it ends.
process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping child processes`);
    resumeAllRedis();
    stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    process.stderr.write(`chaos run failed: ${err.stack ?? err}\n`);
    resumeAllRedis();
    await stopAll();
    process.exit(1);
  },
);
