#!/usr/bin/env node
// `npm run bench`: ingest and forwarding benchmarks of kc-event-relay, all in ONE run on this
// machine, so that every ratio compares figures taken under the same conditions:
//   1. a bare fastify route (the baseline) and the relay on Redis (and on the embedded store when
//      this build has one), at saturation and at a fixed 1,000 req/s, JSON and FlatBuffer bodies;
//   2. a sink's own capacity, then the relay draining a 100,000-event backlog into it, then a
//      replay of the same 100,000 events through the admin API.
// Everything listens on 127.0.0.1; every child process (redis-server, servers, relays) is stopped
// at the end, on error and on Ctrl-C. BENCH_QUICK=1 shortens every phase for trying the harness
// and writes its report to a temp file instead of docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { load } from './lib/load.mjs';
import { basicAuth, canonicalEventBody, flatbufferBodies, jsonEventBody, UidSource } from './lib/payloads.mjs';
import { cpuMeter, waitForQuiet } from './lib/cpu.mjs';
import { freePort, killAllSync, livePids, onExit, startChild, stopAll, waitHttp } from './lib/procs.mjs';
import { redisVersion, startRedis } from './lib/redis.mjs';
import { fmt, printConsole, writeMarkdown } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = process.env.BENCH_QUICK === '1';

const SETTINGS = {
  connections: 16, // ingest at saturation: enough to saturate 2 cores, Keycloak-like concurrency
  duration: QUICK ? 3 : 10,
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
  replayTimeoutS: QUICK ? 30 : 120,
};

const AUTH_SECRET = 'bench-secret-7f3a9c';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const AUTHORIZATION = basicAuth('kc-node-1', AUTH_SECRET);
const MAIN_JS = join(ROOT, 'dist/src/main.js');
// Children run on the project's own Node 24 even when this script was started with another node.
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node')) ? join(ROOT, 'node_modules/.bin/node') : process.execPath;

const uids = new UidSource();
const notes = [];
const failures = [];

// The machine is shared: before each recorded measurement, wait for other processes to calm down,
// within a budget for the whole run so that a machine that never calms down still finishes.
let quietBudgetMs = QUICK ? 10_000 : 40_000;
const quietLog = { waits: 0, waitedMs: 0, noisyStarts: 0 };
async function quiet() {
  if (quietBudgetMs <= 0) return;
  const q = await waitForQuiet(livePids, { maxWaitMs: Math.min(8_000, quietBudgetMs) });
  quietBudgetMs -= q.waitedMs;
  quietLog.waits += 1;
  quietLog.waitedMs += q.waitedMs;
  if (!q.quiet) quietLog.noisyStarts += 1;
}

// ---------------------------------------------------------------------------------------------
// Servers under test

async function startBaseline() {
  const port = await freePort();
  const proc = startChild('bare fastify', NODE, [join(ROOT, 'bench/servers/bare-fastify.mjs')], {
    cwd: ROOT,
    env: { PORT: String(port), LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(proc, `${url}/healthz`);
  return { url, proc };
}

async function startRelay(name, env) {
  const port = await freePort();
  const spawnedAt = Date.now();
  const proc = startChild(name, NODE, [MAIN_JS], {
    cwd: ROOT,
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      AUTH_SECRET,
      ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
      // Large enough that no run evicts: the benchmark measures ingest, not the eviction path.
      BUFFER_CAPACITY: '2000000',
      ...env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(proc, `${url}/readyz`, { timeoutMs: 30_000 });
  } catch (err) {
    await proc.stop(3_000);
    throw err;
  }
  return { url, proc, spawnedAt, readyAt: Date.now() };
}

async function startSink() {
  const port = await freePort();
  const proc = startChild('sink', NODE, [join(ROOT, 'bench/servers/sink.mjs')], {
    cwd: ROOT,
    env: { PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(proc, `${url}/healthz`);
  return {
    url,
    proc,
    stats: async () => (await fetch(`${url}/stats`)).json(),
    reset: async () => void (await fetch(`${url}/reset`, { method: 'POST' })).arrayBuffer(),
  };
}

/** The relay's own count of ingest outcomes (/metrics): "accepted" means stored, by contract. */
async function ingestOutcomes(relayUrl) {
  const text = await (await fetch(`${relayUrl}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^kcr_ingest_requests_total\{outcome="([^"]+)"\} (\d+(?:\.\d+)?)/gm)) {
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * The outcomes once the requests still in flight when autocannon stopped have been answered (two
 * equal reads 100 ms apart, at most 5 s): otherwise a slow store's stragglers from the warm-up
 * would be counted in the measured run.
 */
async function settledOutcomes(relayUrl) {
  let previous = await ingestOutcomes(relayUrl);
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const current = await ingestOutcomes(relayUrl);
    if (current.accepted === previous.accepted) return current;
    previous = current;
  }
  return previous;
}

// ---------------------------------------------------------------------------------------------
// Ingest

function bodies(fb) {
  return [
    { name: 'JSON', body: () => jsonEventBody(uids.next()) },
    { name: 'FlatBuffer', body: () => fb.body(uids.next()) },
  ];
}

/**
 * Saturation, then fixed rate, for each body format. The servers take turns within each round
 * (bare route, then relay on each store, same body) so that a change in the machine's background
 * load hits the baseline and the relay alike instead of one of them; idle ones cost nothing.
 */
async function ingestRounds(servers, bodyKinds) {
  const saturation = [];
  const fixedRate = [];
  for (const kind of bodyKinds) {
    let baseline = null;
    for (const s of servers) {
      const common = { url: `${s.url}/events`, headers: { authorization: AUTHORIZATION }, body: kind.body };
      try {
        await quiet();
        // Warm-up (JIT, keep-alive connections, Redis script cache): not recorded.
        await load({ ...common, connections: SETTINGS.connections, duration: SETTINGS.warmup });
        const before = s.checkStored ? await settledOutcomes(s.url) : null;
        const r = await load({ ...common, connections: SETTINGS.connections, duration: SETTINGS.duration });
        const row = { server: s.server, body: kind.name, mode: 'saturation', ...r };
        if (s.checkStored) {
          const after = await settledOutcomes(s.url);
          const accepted = (after.accepted ?? 0) - (before.accepted ?? 0);
          // autocannon stops with up to one request per connection in flight: those are stored
          // but their answers are not counted, so accepted may exceed the 2xx by that much.
          const inFlight = accepted - r.ok;
          const consistent = inFlight >= 0 && inFlight <= SETTINGS.connections;
          row.stored = consistent ? `${fmt.int(accepted)} (2xx + ${inFlight} in flight at stop)` : `${fmt.int(accepted)} ≠ ${fmt.int(r.ok)} 2xx`;
          if (!consistent) notes.push(`${s.server}, ${kind.name}: ${r.ok} answers 2xx but ${accepted} counted accepted (outcomes so far: ${JSON.stringify(after)})`);
        }
        if (s.baseline) baseline = row;
        else if (baseline) row.ratio = row.rps / baseline.rps;
        saturation.push(row);
        console.log(`  ${s.server}, ${kind.name}: ${fmt.int(r.rps)} req/s, p99 ${fmt.ms(r.p99)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, other CPU ${fmt.ratio(r.foreignCores)}`);
      } catch (err) {
        failures.push(`${s.server}, ${kind.name}, saturation: ${err.message}`);
      }
    }
  }
  for (const kind of bodyKinds) {
    for (const s of servers) {
      try {
        await quiet();
        const r = await load({
          url: `${s.url}/events`,
          headers: { authorization: AUTHORIZATION },
          body: kind.body,
          connections: SETTINGS.rateConnections,
          overallRate: SETTINGS.rate,
          duration: SETTINGS.rateDuration,
        });
        fixedRate.push({ server: s.server, body: kind.name, mode: `at ${SETTINGS.rate}/s`, ...r });
        console.log(`  ${s.server}, ${kind.name} @${SETTINGS.rate}/s: p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms, max ${fmt.ms(r.max)} ms, other CPU ${fmt.ratio(r.foreignCores)}`);
      } catch (err) {
        failures.push(`${s.server}, ${kind.name}, fixed rate: ${err.message}`);
      }
    }
  }
  return { saturation, fixedRate };
}

// ---------------------------------------------------------------------------------------------
// Forwarding: sink capacity, drain of a backlog, replay

async function waitFor(check, { timeoutMs, everyMs = 100, stallMs = Infinity, progress }) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const state = await check();
    if (state.done) return { ...state, timedOut: false };
    const p = progress(state);
    if (p !== last) {
      last = p;
      lastChange = Date.now();
    }
    if (Date.now() > deadline || Date.now() - lastChange > stallMs) return { ...state, timedOut: true, stalled: Date.now() - lastChange > stallMs };
    await sleep(everyMs);
  }
}

/** Fills `drain` (rows, rate, ratio, loads) as it goes, so a failure still reports what was measured. */
async function drainBench(redis, drain) {
  const sink = await startSink();
  const hookUrl = `${sink.url}/hook`;
  // Figures gathered along the way; the table is written at the end, when all are known.
  const f = {};
  try {
    // 1. The sink's own capacity, loaded like the relay loads it: one POST per event, the
    //    canonical event as body, Standard Webhooks headers, as many connections as the
    //    destination's concurrency. Measured before the drain and again after the replay: the
    //    higher figure is used, so a momentarily slow measurement cannot flatter the ratio.
    const eventBody = canonicalEventBody(uids.next());
    const headersFor = () => {
      const id = uids.next().toString();
      return { 'webhook-id': id, 'idempotency-key': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };
    };
    const sinkLoad = { url: hookUrl, connections: SETTINGS.destinationConcurrency, body: () => eventBody, headersFor, headers: { 'user-agent': 'kc-event-relay' } };
    const measureSink = async (what) => {
      await quiet();
      await load({ ...sinkLoad, duration: SETTINGS.warmup });
      const capacity = await load({ ...sinkLoad, duration: SETTINGS.duration });
      drain.loads.push({ what, foreignCores: capacity.foreignCores });
      await sink.reset();
      console.log(`  ${what}: ${fmt.int(capacity.rps)} req/s`);
      return capacity;
    };
    f.capacity1 = await measureSink('sink capacity, before the drain');

    // 2. The backlog: a relay WITHOUT destinations ingests N unique events (through its real
    //    ingest path, so the stored format is whatever this build stores).
    const prefix = 'bdrain:';
    const filler = await startRelay('relay (filling)', { REDIS_URL: redis.url, KEY_PREFIX: prefix });
    let accepted = 0;
    try {
      for (let attempt = 0; attempt < 3 && accepted < SETTINGS.backlog; attempt++) {
        await load({
          url: `${filler.url}/events`,
          headers: { authorization: AUTHORIZATION },
          body: () => jsonEventBody(uids.next()),
          connections: SETTINGS.fillConnections,
          amount: SETTINGS.backlog - accepted,
        });
        accepted = (await settledOutcomes(filler.url)).accepted ?? 0;
      }
    } finally {
      await filler.proc.stop();
    }
    if (accepted !== SETTINGS.backlog) throw new Error(`backlog: ${accepted} events accepted instead of ${SETTINGS.backlog}`);
    f.backlog = accepted;

    // 3. Restart WITH the destination: its consumer group starts from the oldest buffered event.
    await quiet();
    const destinations = [{ name: 'sink', url: hookUrl, concurrency: SETTINGS.destinationConcurrency }];
    const relay = await startRelay('relay (draining)', {
      REDIS_URL: redis.url,
      KEY_PREFIX: prefix,
      DESTINATIONS: JSON.stringify(destinations),
    });
    try {
      const drainCpu = cpuMeter(livePids);
      const drained = await waitFor(
        async () => {
          const s = await sink.stats();
          return { ...s, done: s.distinct >= SETTINGS.backlog };
        },
        { timeoutMs: SETTINGS.drainTimeoutS * 1000, stallMs: 20_000, progress: (s) => s.distinct },
      );
      f.drainCpu = drainCpu.stop();
      drain.loads.push({ what: 'drain', foreignCores: f.drainCpu.foreignCores });
      f.state = await adminGet(relay.url, '/admin/destinations').catch((e) => ({ error: e.message }));
      if (drained.distinct === 0) {
        throw new Error(
          `drain: the sink received nothing in ${drained.stalled ? '20 s (no progress)' : `${SETTINGS.drainTimeoutS} s`}; ` +
            `/admin/destinations: ${JSON.stringify(f.state)}; relay output: ${relay.proc.output().trim().slice(-1500) || '(none)'}`,
        );
      }
      f.drained = drained;
      f.drainSpanS = (drained.lastNewAt - drained.firstAt) / 1000;
      f.drainFromSpawnS = (drained.lastNewAt - relay.spawnedAt) / 1000;
      drain.rate = drained.distinct / f.drainSpanS;
      drain.complete = !drained.timedOut;
      console.log(`  drain: ${fmt.int(drained.distinct)} in ${fmt.s(f.drainSpanS)} = ${fmt.int(drain.rate)}/s`);

      // 4. Replay of the same events through the admin API, timed until the job says done.
      await sink.reset();
      await quiet();
      const replayCpu = cpuMeter(livePids);
      const started = Date.now();
      const res = await fetch(`${relay.url}/admin/replay`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ destination: 'sink' }),
      });
      const job = await res.json().catch(() => null);
      if (res.status !== 202 && res.status !== 200) throw new Error(`replay: POST /admin/replay answered ${res.status} ${JSON.stringify(job)}`);
      if (!job?.id) throw new Error(`replay: no job id in ${JSON.stringify(job)}`);
      f.job = await waitFor(
        async () => {
          const j = await adminGet(relay.url, `/admin/jobs/${job.id}`);
          return { ...j, done: j.state !== 'running' };
        },
        { timeoutMs: SETTINGS.replayTimeoutS * 1000, everyMs: 250, stallMs: 20_000, progress: (j) => j.delivered },
      );
      f.replayWallS = (Date.now() - started) / 1000;
      f.replayCpu = replayCpu.stop();
      drain.loads.push({ what: 'replay', foreignCores: f.replayCpu.foreignCores });
      f.replaySink = await sink.stats();
      await sink.reset();
      console.log(`  replay: ${f.job.state}, ${fmt.int(f.job.delivered)} delivered in ${fmt.s(f.replayWallS)}`);
    } finally {
      await relay.proc.stop();
    }
    f.capacity2 = await measureSink('sink capacity, after the replay');
  } finally {
    await sink.proc.stop();
    drainRows(drain, f);
  }
}

/** The drain table, from whatever was measured (a failed step leaves the rows after it out). */
function drainRows(drain, f) {
  const rows = drain.rows;
  const cpu = (c) => `${fmt.ratio(c.oursCores)} / ${fmt.ratio(c.foreignCores)} cores`;
  const cap = (c) => `${fmt.int(c.rps)} req/s (p99 ${fmt.ms(c.p99)} ms; CPU bench/other ${cpu(c)})`;
  const how = `autocannon, ${SETTINGS.destinationConcurrency} connections, ${SETTINGS.duration} s`;
  if (f.capacity1) rows.push([`sink capacity before the drain (${how})`, cap(f.capacity1)]);
  if (f.capacity2) rows.push([`sink capacity after the replay (${how})`, cap(f.capacity2)]);
  if (f.capacity1) {
    drain.sinkCapacity = Math.max(f.capacity1.rps, f.capacity2?.rps ?? 0);
    rows.push(['sink capacity used for the ratio (the higher)', `${fmt.int(drain.sinkCapacity)} req/s`]);
  }
  if (f.backlog) rows.push(['backlog loaded (relay without destinations, ingest API)', `${fmt.int(f.backlog)} events`]);
  if (f.drained) {
    const d = f.drained;
    drain.ratio = drain.rate / drain.sinkCapacity;
    const label = drain.complete ? 'drain' : `drain (INCOMPLETE: ${fmt.int(d.distinct)} of ${fmt.int(SETTINGS.backlog)} in the time allowed)`;
    rows.push([`${label}: first to last delivery at the sink`, `${fmt.s(f.drainSpanS)} → ${fmt.int(drain.rate)} events/s`]);
    rows.push(['drain rate ÷ sink capacity', fmt.ratio3(drain.ratio)]);
    rows.push(['drain incl. relay start (spawn → last delivery)', fmt.s(f.drainFromSpawnS)]);
    rows.push(['CPU during the drain: bench processes / other', cpu(f.drainCpu)]);
    rows.push(['deliveries received / distinct webhook-ids', `${fmt.int(d.total)} / ${fmt.int(d.distinct)}`]);
    rows.push(['destination state after drain (GET /admin/destinations)', '`' + JSON.stringify(f.state) + '`']);
  }
  if (f.job) {
    const j = f.job;
    drain.replay = j;
    if (j.timedOut) {
      const rate = j.delivered / f.replayWallS;
      rows.push([
        `replay of ${fmt.int(SETTINGS.backlog)} events (admin API)`,
        `NOT finished within ${SETTINGS.replayTimeoutS} s: ${fmt.int(j.delivered)} delivered at ${fmt.int(rate)}/s → ~${fmt.s(SETTINGS.backlog / rate)} extrapolated`,
      ]);
      notes.push(`replay job ${j.id} still "${j.state}" when the run stopped waiting (counts ${JSON.stringify({ scanned: j.scanned, matched: j.matched, delivered: j.delivered })})`);
    } else {
      const jobS = j.finishedAt ? (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000 : f.replayWallS;
      rows.push([`replay of ${fmt.int(SETTINGS.backlog)} events (admin API, job ${j.state})`, `${fmt.s(jobS)} → ${fmt.int(j.delivered / jobS)} events/s`]);
      if (j.state !== 'done') notes.push(`replay job ended "${j.state}": ${j.error ?? ''}`);
    }
    rows.push(['replay job counts (scanned / matched / delivered / dead-lettered)', `${fmt.int(j.scanned)} / ${fmt.int(j.matched)} / ${fmt.int(j.delivered)} / ${fmt.int(j.deadLettered)}`]);
    rows.push(['CPU during the replay: bench processes / other', cpu(f.replayCpu)]);
    rows.push(['replay deliveries received by the sink / distinct', `${fmt.int(f.replaySink.total)} / ${fmt.int(f.replaySink.distinct)}`]);
  }
}

/** The commit measured, and whether the working tree differed from it (uncommitted changes). */
function gitRevision() {
  const git = (...args) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'generated', 'package.json').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''}`;
}

async function adminGet(url, path) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = Date.now();
  const major = Number(process.versions.node.split('.')[0]);
  if (major !== 24) notes.push(`run with Node ${process.version}, not the project's Node 24: use \`npm run bench\``);
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`npm run build\` (npm run bench does)`);
  const pkg = (name) => JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    cpu,
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

  const fb = await flatbufferBodies(
    join(ROOT, 'test/fixtures/golden/emitter-2018--event-logout.json'),
    join(ROOT, 'dist/generated/emitter2018/event.js'),
  );
  const sample = jsonEventBody(uids.next());
  const bodyKinds = bodies(fb);

  const results = {
    meta,
    settings: SETTINGS,
    saturation: [],
    fixedRate: [],
    drain: { rows: [], loads: [] },
    targets: [],
    notes,
    method: [
      `Every server runs as its own child process on the project's Node (\`node_modules/.bin/node\`); the load generator (autocannon ${meta.autocannon}, in the bench process) and redis-server share the same ${meta.cores} cores: the ratios compare like with like, the absolute figures are this machine's.`,
      'Ingest: the bare route and the relay on each store run side by side and are measured in turns (same body, one after the other), so that a change in the machine\'s background load affects both sides of a ratio alike; before each measurement the run waits (within a budget) for other processes to calm down, and every row shows the CPU the benchmark\'s processes and the rest of the machine used meanwhile.',
      `With ${meta.cores} cores the bare route is partly bounded by the load generator sharing its cores (see "CPU bench/other"): with a separate load machine it would go faster, so the relay's ratios here are, if anything, flattering.`,
      'Baseline: fastify with one POST route answering 200 (bench/servers/bare-fastify.mjs), configured as the relay where it costs per request (pino at `warn`, raw Buffer body for any content type).',
      `Relay: \`node dist/src/main.js\` with LOG_LEVEL=warn and BUFFER_CAPACITY=2000000 (no eviction during the run), Basic auth on every request.`,
      `Bodies: JSON = a LOGIN event as the emitter writes it (${sample.length} bytes); FlatBuffer = \`{"type":"Event","obj":"<base64>"}\` from the golden fixture ${fb.name} (${fb.bytes} bytes), emitter-2018 profile. Every request carries a unique emitter-layout snowflake uid (dc 1, keycloak 3, current time), so each one is a dedup miss and a real append.`,
      '"stored" is the relay\'s own count of accepted events (/metrics, outcome="accepted") during the run, checked against the 2xx answers (it may exceed them by the requests still in flight when autocannon stops, at most one per connection): every 200 was a stored event, none a duplicate or quarantined.',
      'Latency percentiles are computed from every 2xx response time (sub-millisecond precision). autocannon\'s own p99 (whole milliseconds) is shown for the fixed-rate runs because it corrects for coordinated omission.',
      `Fixed rate: autocannon overallRate=${SETTINGS.rate} over ${SETTINGS.rateConnections} connections; autocannon sends each connection's share of a second back to back then waits, so this is bursty rather than evenly spaced (harsher than a steady flow).`,
      `Drain: a node:http sink (bench/servers/sink.mjs) counts distinct webhook-id headers. Its capacity is measured with autocannon using ${SETTINGS.destinationConcurrency} connections (the destination's concurrency), the canonical event as body and the Standard Webhooks headers, once before the drain and once after the replay; the ratio uses the higher of the two. The backlog (${fmt.int(SETTINGS.backlog)} events) is ingested by a relay without destinations, which is then restarted with DESTINATIONS=[{"name":"sink","concurrency":${SETTINGS.destinationConcurrency}}]; the drain rate is distinct ids / (last new id − first id) at the sink. The replay is POST /admin/replay {"destination":"sink"} over the same buffer, timed by the job's startedAt/finishedAt (polling GET /admin/jobs/:id).`,
    ],
  };

  const redis = await startRedis();
  try {
    // Ingest: the bare route and the relay on each store available in this build, all started
    // up front and measured in turns.
    console.log('ingest:');
    const servers = [];
    const baseline = await startBaseline();
    servers.push({ server: 'bare fastify', url: baseline.url, baseline: true });
    const redisRelay = await startRelay('relay, Redis', { REDIS_URL: redis.url, KEY_PREFIX: 'bingest:' });
    servers.push({ server: 'relay, Redis', url: redisRelay.url, checkStored: true });
    let dataDir = null;
    if (existsSync(join(ROOT, 'src/store/embedded/embedded-store.ts'))) {
      dataDir = mkdtempSync(join(tmpdir(), 'kcr-bench-data-'));
      const dir = dataDir;
      onExit(() => rmSync(dir, { recursive: true, force: true }));
      try {
        const embedded = await startRelay('relay, embedded', { DATA_DIR: dataDir });
        servers.push({ server: 'relay, embedded', url: embedded.url, checkStored: true });
      } catch (err) {
        notes.push(`embedded store: skipped, the relay did not start without REDIS_URL: ${err.message.split('\n').slice(0, 3).join(' ')}`);
      }
    } else {
      notes.push('embedded store: skipped, src/store/embedded/embedded-store.ts is not in this build');
    }
    const ingest = await ingestRounds(servers, bodyKinds);
    results.saturation.push(...ingest.saturation);
    results.fixedRate.push(...ingest.fixedRate);
    await stopAll([redis.pid]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await redis.client.flushall(); // frees the ingest runs' events before the drain phase

    // Forwarding.
    console.log('forwarding:');
    try {
      results.drain = { rows: [], loads: [] };
      await drainBench(redis, results.drain);
    } catch (err) {
      failures.push(`drain/replay: ${err.message}`);
      notes.push(`drain/replay FAILED: ${err.message}`);
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

  const bare = (body) => results.saturation.find((r) => r.server === 'bare fastify' && r.body === body);
  // Targets (issue 2: ingest; issue 3: embedded ratio reported beside Redis's; issue 4: drain).
  for (const row of results.saturation.filter((r) => r.ratio !== undefined)) {
    results.targets.push({
      name: `ingest req/s, ${row.server}, ${row.body}`,
      goal: '≥ 0.60 × bare route',
      measured: `${fmt.ratio3(row.ratio)} (${fmt.int(row.rps)} / ${fmt.int(bare(row.body).rps)} req/s)`,
      met: row.ratio >= 0.6 && row.non2xx === 0,
    });
  }
  for (const row of results.fixedRate.filter((r) => r.server !== 'bare fastify')) {
    results.targets.push({
      name: `ingest p99 at ${fmt.int(SETTINGS.rate)} req/s, ${row.server}, ${row.body}`,
      goal: '< 5 ms',
      measured: `${fmt.ms(row.p99)} ms (autocannon CO-corrected: ${fmt.int(row.acP99)} ms)`,
      met: row.p99 < 5 && row.non2xx === 0 && row.rps >= SETTINGS.rate * 0.95,
    });
  }
  results.targets.push({
    name: `drain of ${fmt.int(SETTINGS.backlog)} events`,
    goal: '≥ 0.70 × sink capacity',
    measured: results.drain.ratio === undefined ? 'failed (see notes)' : `${fmt.ratio3(results.drain.ratio)} (${fmt.int(results.drain.rate)} / ${fmt.int(results.drain.sinkCapacity)} events/s)`,
    met: results.drain.ratio === undefined ? null : results.drain.ratio >= 0.7 && results.drain.complete,
  });
  results.targets.push({
    name: 'logout message latency (POST -> subscriber) p99 at 1,000 LOGOUT/s',
    goal: '< 10 ms',
    measured: results.logout
      ? `${results.logout.p99} (p50 ${results.logout.p50}; POST answer p99 ${results.logout.answer.p99}; ${results.logout.received} received, ${results.logout.lost} lost)`
      : 'failed (see notes)',
    met: results.logout ? Number.parseFloat(results.logout.p99) < 10 && results.logout.lost === 0 : null,
  });
  for (const f of failures) if (!notes.some((n) => n.includes(f))) notes.push(`FAILED: ${f}`);

  const disturbed = [
    ...[...results.saturation, ...results.fixedRate].map((r) => ({ what: `${r.server} ${r.body} ${r.mode}`, foreignCores: r.foreignCores })),
    ...(results.drain.loads ?? []),
  ].filter((r) => r.foreignCores > 0.25);
  if (disturbed.length > 0) {
    notes.push(
      `other processes on the machine used more than 0.25 core during ${disturbed.length} measurement(s) ` +
        `(${disturbed.map((r) => `${r.what}: ${fmt.ratio(r.foreignCores)}`).join('; ')}): those figures are pessimistic`,
    );
  }
  notes.push(
    `before each measurement the run waited for other processes to use < 0.2 core (at most 8 s each, ${QUICK ? 10 : 40} s in all): ` +
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
