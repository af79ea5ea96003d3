#!/usr/bin/env node
// `npm run bench`: ingest and forwarding benchmarks of kc-event-relay, all in ONE run on this
// machine, so that every ratio compares figures taken under the same conditions:
//   1. a bare fastify route (the baseline), the same route appending each body to Redis first (the
//      floor: the ceiling of any relay on Redis here) and the relay with its default configuration on Redis
//      (without persistence, and with `appendfsync always`) and on the embedded store
//      (EMBEDDED_SYNC=full and normal), at saturation and at a fixed 1,000 req/s, JSON and
//      FlatBuffer bodies, each row with the CPU per stored event of the relay and of redis-server;
//   2. the relay on Redis with WORKERS=1 vs WORKERS=2 (relay processes behind one port), at saturation;
//      a Redis Cluster (PARTITIONS=1 vs 6) and a primary with a replica (REDIS_WAIT_REPLICAS=0 vs 1);
//   3. a CPU profile of the relay at saturation: where its time goes;
//   4. a sink's own capacity, then the relay draining a 100,000-event backlog into it, then a
//      replay of the same 100,000 events through the admin API; then the same drain into RabbitMQ,
//      NATS JetStream and PostgreSQL, each against its own capacity; then the cluster logout latency.
// `node bench/run.mjs --target-drains` (after `npm run build`) runs only the drains into RabbitMQ,
// NATS and PostgreSQL, with BENCH_TARGET_BACKLOG events (default 2,000), and prints their rows.
// Everything listens on 127.0.0.1; every child process (redis-servers, servers, relays) is stopped
// at the end, on error and on Ctrl-C. BENCH_QUICK=1 shortens every phase for trying the harness
// and writes its report to a temp file instead of docs/benchmarks.md.
// Longer than the usual file: the run's order, settings and bookkeeping read best in one place;
// how each phase measures is in bench/lib/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { waitForQuiet } from './lib/cpu.mjs';
import { drainBench } from './lib/drain.mjs';
import { targetDrainBench } from './lib/target-drain.mjs';
import { ingestRounds, servers } from './lib/ingest.mjs';
import { method } from './lib/method.mjs';
import { basicAuth, flatbufferBodies, jsonEventBody, UidSource } from './lib/payloads.mjs';
import { killAllSync, livePids, onExit, stopAll } from './lib/procs.mjs';
import { profileRelay } from './lib/profile.mjs';
import { APPENDFSYNC_ALWAYS, redisVersion, startCluster, startRedis, startReplicated } from './lib/redis.mjs';
import { fmt, printConsole, writeMarkdown } from './lib/report.mjs';
import { FLOOR, judge } from './lib/targets.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';

const SETTINGS = {
  connections: 16, // ingest at saturation: enough to saturate 2 cores, Keycloak-like concurrency
  duration: QUICK ? 3 : 10,
  slices: QUICK ? 2 : 5, // the saturation seconds, measured in this many turns of the servers
  warmup: QUICK ? 1 : 2,
  rate: 1_000,
  // autocannon paces per connection and per second (each connection sends its share of the
  // second back to back, then waits): few connections keep those bursts close to a steady flow.
  rateConnections: 4,
  rateDuration: QUICK ? 3 : 10,
  backlog: QUICK ? 10_000 : 100_000,
  destinationConcurrency: 32, // the sink is measured with as many connections as the relay uses
  fillConnections: 32,
  drainTimeoutS: QUICK ? 30 : 120,
  targetBacklog: Number(process.env.BENCH_TARGET_BACKLOG ?? (QUICK ? 2_000 : 20_000)),
  replayTimeoutS: QUICK ? 30 : 120,
};

const AUTH_SECRET = 'bench-secret-7f3a9c';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const MAIN_JS = join(ROOT, 'dist/src/main.js');
// Children run on the project's own Node 24 even when this script was started with another node.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

const notes = [];
const failures = [];

// The machine is shared: before each recorded measurement, wait for other processes to calm down,
// within a budget for the whole run so that a machine that never calms down still finishes.
let quietBudgetMs = QUICK ? 10_000 : 60_000;
const quietLog = { waits: 0, waitedMs: 0, noisyStarts: 0 };
async function quiet() {
  if (quietBudgetMs <= 0) return;
  const q = await waitForQuiet(livePids, { maxWaitMs: Math.min(8_000, quietBudgetMs) });
  quietBudgetMs -= q.waitedMs;
  quietLog.waits += 1;
  quietLog.waitedMs += q.waitedMs;
  if (!q.quiet) quietLog.noisyStarts += 1;
}

/** What the phases (bench/lib/*.mjs) share. */
const bench = {
  ROOT,
  NODE,
  MAIN_JS,
  SETTINGS,
  AUTH_SECRET,
  ADMIN_TOKEN,
  AUTHORIZATION: basicAuth('kc-node-1', AUTH_SECRET),
  uids: new UidSource(),
  notes,
  failures,
  quiet,
};
Object.assign(bench, servers(bench));

function bodies(fb) {
  return [
    { name: 'JSON', body: () => jsonEventBody(bench.uids.next()) },
    { name: 'FlatBuffer', body: () => fb.body(bench.uids.next()) },
  ];
}

/** A temp DATA_DIR removed however the run ends. */
function tempDataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'kcr-bench-data-'));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The commit measured, and whether the working tree differed from it (uncommitted changes). */
function gitRevision() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'generated', 'package.json').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Phases

/** The bare route and the relay on every store and durability setting, measured in turns. */
async function ingestPhase(redis, bodyKinds, results) {
  console.log('ingest:');
  const list = [];
  const dirs = [];
  const always = await startRedis({ name: 'redis-server (appendfsync always)', args: APPENDFSYNC_ALWAYS });
  try {
    const baseline = await bench.startBaseline();
    list.push({ server: 'bare fastify', url: baseline.url, pid: baseline.proc.pid, baseline: true });
    const floor = await bench.startBaseline({ redisUrl: redis.url });
    list.push({ server: FLOOR, url: floor.url, pid: floor.proc.pid, storePids: [redis.pid] });
    const relay = async (server, env, storePids) => {
      const r = await bench.startRelay(server, env);
      list.push({ server, url: r.url, pid: r.proc.pid, storePids, checkStored: true });
    };
    await relay('relay, Redis', { REDIS_URL: redis.url, KEY_PREFIX: 'bingest:' }, [redis.pid]);
    await relay('relay, Redis appendfsync always', { REDIS_URL: always.url, KEY_PREFIX: 'bingest:' }, [always.pid]);
    for (const sync of ['full', 'normal']) {
      const dir = tempDataDir();
      dirs.push(dir);
      const name = sync === 'full' ? 'relay, embedded' : 'relay, embedded EMBEDDED_SYNC=normal';
      try {
        await relay(name, { DATA_DIR: dir, ...(sync === 'full' ? {} : { EMBEDDED_SYNC: sync }) }, []);
      } catch (err) {
        notes.push(`${name}: skipped, the relay did not start: ${err.message.split('\n').slice(0, 3).join(' ')}`);
      }
    }
    const ingest = await ingestRounds(bench, list, bodyKinds);
    results.saturation.push(...ingest.saturation);
    results.fixedRate.push(...ingest.fixedRate);
  } finally {
    await stopAll([redis.pid, always.pid]);
    await always.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * WORKERS=2 against WORKERS=1 on the same Redis, at saturation, both formats, beside the bare route:
 * what a second relay process buys on this machine, where the load generator and Redis share the
 * same cores (each row says how many cores the relay's processes used).
 */
async function workersPhase(redis, bodyKinds, results) {
  console.log('WORKERS:');
  try {
    const baseline = await bench.startBaseline();
    const list = [{ server: 'bare fastify', url: baseline.url, pid: baseline.proc.pid, baseline: true }];
    for (const workers of ['1', '2']) {
      const server = `relay, Redis, WORKERS=${workers}`;
      const r = await bench.startRelay(server, { REDIS_URL: redis.url, KEY_PREFIX: `bworkers${workers}:`, WORKERS: workers });
      // /readyz answers once one process is; the supervisor says when every one is.
      for (let i = 0; workers !== '1' && i < 300 && !r.proc.output().includes(`${workers} relay processes`); i++) await sleep(100);
      list.push({ server, url: r.url, pid: r.proc.pid, storePids: [redis.pid], checkStored: true });
    }
    const rows = (await ingestRounds(bench, list, bodyKinds, { fixedRate: false })).saturation;
    for (const row of rows) {
      const single = rows.find((r) => r.server === 'relay, Redis, WORKERS=1' && r.body === row.body);
      if (row.server.endsWith('WORKERS=2') && single) row.vsSingle = row.rps / single.rps;
    }
    results.workers.push(...rows);
  } catch (err) {
    failures.push(`WORKERS rows: ${err.message}`);
  } finally {
    await stopAll([redis.pid]);
  }
}

/**
 * What the production-Redis work (partitions, WAIT) will be judged by: a 3-primary Cluster with
 * PARTITIONS=1 vs 6 at saturation (Redis CPU per event per shard), and p99 at a fixed rate with
 * REDIS_WAIT_REPLICAS=0 vs 1 on a primary with one replica. JSON bodies.
 */
async function redisTopologiesPhase(redis, bodyKinds, results) {
  const json = bodyKinds.filter((k) => k.name === 'JSON');
  console.log('Redis Cluster:');
  let cluster;
  try {
    cluster = await startCluster();
    const baseline = await bench.startBaseline();
    const list = [{ server: 'bare fastify', url: baseline.url, pid: baseline.proc.pid, baseline: true }];
    for (const partitions of ['1', '6']) {
      const r = await bench.startRelay(`relay, Cluster PARTITIONS=${partitions}`, {
        REDIS_CLUSTER_NODES: cluster.nodes.join(','),
        KEY_PREFIX: `bcluster${partitions}:`,
        PARTITIONS: partitions,
      });
      list.push({
        server: `relay, Cluster PARTITIONS=${partitions}`,
        url: r.url,
        pid: r.proc.pid,
        storePids: cluster.pids,
        checkStored: true,
      });
    }
    results.cluster.push(...(await ingestRounds(bench, list, json, { fixedRate: false })).saturation);
  } catch (err) {
    failures.push(`Redis Cluster rows: ${err.message}`);
  } finally {
    await stopAll([redis.pid, ...(cluster?.pids ?? [])]);
    await cluster?.stop();
  }
  console.log('replication:');
  let pair;
  try {
    pair = await startReplicated();
    const list = [];
    for (const replicas of ['0', '1']) {
      const r = await bench.startRelay(`relay, REDIS_WAIT_REPLICAS=${replicas}`, {
        REDIS_URL: pair.primary.url,
        KEY_PREFIX: `bwait${replicas}:`,
        REDIS_WAIT_REPLICAS: replicas,
      });
      list.push({ server: `relay, primary + replica, REDIS_WAIT_REPLICAS=${replicas}`, url: r.url, pid: r.proc.pid, storePids: pair.pids });
    }
    results.replication.push(...(await ingestRounds(bench, list, json, { saturation: false })).fixedRate);
  } catch (err) {
    failures.push(`replication rows: ${err.message}`);
  } finally {
    await stopAll([redis.pid, ...(pair?.pids ?? [])]);
    await pair?.stop();
  }
}

async function profilePhase(redis, bodyKinds, results) {
  console.log('profile:');
  const dir = mkdtempSync(join(tmpdir(), 'kcr-bench-profile-'));
  onExit(() => rmSync(dir, { recursive: true, force: true }));
  try {
    await quiet();
    const json = bodyKinds.find((k) => k.name === 'JSON');
    results.profile = await profileRelay(bench, { redisUrl: redis.url, body: json.body, dir });
    if (results.profile.whole)
      notes.push("profile: the samples could not be placed on the bench's clock; the table covers the whole relay run, start-up included");
    console.log(
      `  ${fmt.int(results.profile.rps)} req/s under the profiler; top: ${results.profile.rows
        .slice(0, 3)
        .map((r) => r.what)
        .join(', ')}`,
    );
  } catch (err) {
    failures.push(`profile: ${err.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** `--target-drains`: only the drains into RabbitMQ, NATS and PostgreSQL, rows printed. */
async function targetDrainsOnly() {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`npm run build\` first`);
  const drain = { rows: [], loads: [] };
  const redis = await startRedis();
  try {
    await targetDrainBench(bench, redis, drain, { backlog: Number(process.env.BENCH_TARGET_BACKLOG ?? 2_000) });
  } finally {
    await stopAll();
    await redis.stop();
  }
  for (const [what, value] of drain.rows) console.log(`| ${what} | ${value} |`);
  return drain.targets.every((t) => t.complete) ? 0 : 1;
}

async function main() {
  if (process.argv.includes('--target-drains')) return targetDrainsOnly();
  const t0 = Date.now();
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24) notes.push(`run with Node ${process.version}, not the project's Node 24: use \`npm run bench\``);
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`npm run build\` (npm run bench does)`);
  const pkg = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model?.trim() ?? 'unknown CPU',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    os: `${osType()} ${release()}`,
    redis: redisVersion(),
    fastify: pkg('fastify'),
    autocannon: pkg('autocannon'),
    loadStart: loadavg()[0].toFixed(2),
    revision: gitRevision(),
    command: `${QUICK ? 'BENCH_QUICK=1 ' : ''}${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'node bench/run.mjs'}`,
    quick: QUICK,
  };
  console.log(`kc-event-relay benchmark: Node ${meta.node}, ${meta.cores} cores, Redis ${meta.redis}${QUICK ? ' (QUICK)' : ''}`);

  // A LOGIN, as the JSON body is: the two formats differ only in decoding. (A LOGOUT here made every
  // FlatBuffer event a published logout, which bench/logout-latency.mjs measures on its own.)
  const fb = await flatbufferBodies(
    join(ROOT, 'test/fixtures/golden/emitter-2018--event-login-defaults.json'),
    join(ROOT, 'dist/generated/emitter2018/event.js'),
  );
  const bodyKinds = bodies(fb);
  const results = {
    meta,
    settings: SETTINGS,
    saturation: [],
    fixedRate: [],
    workers: [],
    cluster: [],
    replication: [],
    profile: null,
    drain: { rows: [], loads: [] },
    targets: [],
    notes,
    method: method({ meta, SETTINGS, sampleBytes: jsonEventBody(bench.uids.next()).length, fb }),
  };

  const redis = await startRedis();
  try {
    await ingestPhase(redis, bodyKinds, results);
    await redis.client.flushall(); // frees the ingest runs' events before the next phases
    await workersPhase(redis, bodyKinds, results);
    await redis.client.flushall();
    await redisTopologiesPhase(redis, bodyKinds, results);
    await profilePhase(redis, bodyKinds, results);
    await redis.client.flushall();

    console.log('forwarding:');
    try {
      await drainBench(bench, redis, results.drain);
    } catch (err) {
      failures.push(`drain/replay: ${err.message}`);
      notes.push(`drain/replay FAILED: ${err.message}`);
    }
    try {
      await targetDrainBench(bench, redis, results.drain, { backlog: SETTINGS.targetBacklog });
    } catch (err) {
      failures.push(`drain to brokers/database: ${err.message}`);
      notes.push(`drain to brokers/database FAILED: ${err.message}`);
    }
  } finally {
    await stopAll();
    await redis.stop();
  }

  // Cluster logout (issue 5): POST -> subscriber latency at 1,000 LOGOUT events/s, measured by
  // bench/logout-latency.mjs in its own process with its own Redis, after everything above stopped.
  console.log('logout latency:');
  await quiet();
  const logout = spawnSync(NODE, [join(ROOT, 'bench/logout-latency.mjs')], { encoding: 'utf8', env: process.env, timeout: 120_000 });
  const logoutJson = logout.stdout?.slice(logout.stdout.indexOf('{'));
  let logoutResult = null;
  try {
    logoutResult = logout.status === 0 ? JSON.parse(logoutJson) : null;
  } catch {
    logoutResult = null;
  }
  if (logoutResult) {
    results.logout = logoutResult;
  } else {
    failures.push(`logout latency: exit ${logout.status}: ${(logout.stderr ?? '').slice(-300)}`);
  }

  results.targets = judge(results);
  for (const f of failures) if (!notes.some((n) => n.includes(f))) notes.push(`FAILED: ${f}`);

  const disturbed = [
    ...[...results.saturation, ...results.fixedRate, ...results.workers, ...results.cluster, ...results.replication].map((r) => ({
      what: `${r.server} ${r.body} ${r.mode}`,
      foreignCores: r.foreignCores,
    })),
    ...(results.drain.loads ?? []),
  ].filter((r) => r.foreignCores > 0.25);
  if (disturbed.length > 0) {
    notes.push(
      `other processes on the machine used more than 0.25 core during ${disturbed.length} measurement(s) ` +
        `(${disturbed.map((r) => `${r.what}: ${fmt.ratio(r.foreignCores)}`).join('; ')}): those figures are pessimistic`,
    );
  }
  notes.push(
    `before each measurement the run waited for other processes to use < 0.2 core (at most 8 s each, ${QUICK ? 10 : 60} s in all): ` +
      `${quietLog.waits} waits, ${fmt.s(quietLog.waitedMs / 1000)} in all, ${quietLog.noisyStarts} measurement(s) started without a quiet window`,
  );
  results.meta.loadEnd = loadavg()[0].toFixed(2);
  results.meta.elapsedS = (Date.now() - t0) / 1000;
  printConsole(results);
  const out = QUICK ? join(tmpdir(), 'kcr-benchmarks-quick.md') : join(ROOT, 'docs/benchmarks.md');
  writeMarkdown(out, results);
  console.log(`\nwritten: ${out} (${fmt.s(results.meta.elapsedS)})`);
  return failures.length === 0 ? 0 : 1;
}

// A child must never outlive the run, whatever way it ends.
process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping child processes`);
    stopAll().finally(() => process.exit(130));
  });
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(`benchmark failed: ${err.stack ?? err}`);
    await stopAll();
    process.exit(1);
  },
);
