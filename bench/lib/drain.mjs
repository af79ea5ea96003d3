// Forwarding: a sink's own capacity, then the relay draining a backlog into it, then a replay of
// the same events through the admin API. `bench` is what the run shares with its phases (see
// ./ingest.mjs), plus uids and startRelay.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMeter, processCpu } from './cpu.mjs';
import { settledOutcomes } from './ingest.mjs';
import { load } from './load.mjs';
import { canonicalEventBody, jsonEventBody } from './payloads.mjs';
import { freePort, livePids, startChild, waitHttp } from './procs.mjs';
import { fmt } from './report.mjs';

async function startSink({ ROOT, NODE }) {
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
    if (Date.now() > deadline || Date.now() - lastChange > stallMs)
      return { ...state, timedOut: true, stalled: Date.now() - lastChange > stallMs };
    await sleep(everyMs);
  }
}

/** Fills `drain` (rows, rate, ratio, loads) as it goes, so a failure still reports what was measured. */
export async function drainBench(bench, redis, drain) {
  const { SETTINGS, AUTHORIZATION, ADMIN_TOKEN, uids, quiet, startRelay } = bench;
  const sink = await startSink(bench);
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
    const sinkLoad = {
      url: hookUrl,
      connections: SETTINGS.destinationConcurrency,
      body: () => eventBody,
      headersFor,
      headers: { 'user-agent': 'kc-event-relay' },
    };
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
      const drainProcs = processCpu([relay.proc.pid, redis.pid]);
      const drained = await waitFor(
        async () => {
          const s = await sink.stats();
          return { ...s, done: s.distinct >= SETTINGS.backlog };
        },
        { timeoutMs: SETTINGS.drainTimeoutS * 1000, stallMs: 20_000, progress: (s) => s.distinct },
      );
      f.drainCpu = drainCpu.stop();
      f.drainProcs = drainProcs.stop();
      f.drainPids = [relay.proc.pid, redis.pid];
      drain.loads.push({ what: 'drain', foreignCores: f.drainCpu.foreignCores });
      f.state = await adminGet(bench, relay.url, '/admin/destinations').catch((e) => ({ error: e.message }));
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
      if (res.status !== 202 && res.status !== 200)
        throw new Error(`replay: POST /admin/replay answered ${res.status} ${JSON.stringify(job)}`);
      if (!job?.id) throw new Error(`replay: no job id in ${JSON.stringify(job)}`);
      f.job = await waitFor(
        async () => {
          const j = await adminGet(bench, relay.url, `/admin/jobs/${job.id}`);
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
    drainRows(bench, drain, f);
  }
}

/** The drain table, from whatever was measured (a failed step leaves the rows after it out). */
function drainRows({ SETTINGS, notes }, drain, f) {
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
    const label = drain.complete
      ? 'drain'
      : `drain (INCOMPLETE: ${fmt.int(d.distinct)} of ${fmt.int(SETTINGS.backlog)} in the time allowed)`;
    rows.push([`${label}: first to last delivery at the sink`, `${fmt.s(f.drainSpanS)} → ${fmt.int(drain.rate)} events/s`]);
    rows.push(['drain rate ÷ sink capacity', fmt.ratio3(drain.ratio)]);
    rows.push(['drain incl. relay start (spawn → last delivery)', fmt.s(f.drainFromSpawnS)]);
    rows.push(['CPU during the drain: bench processes / other', cpu(f.drainCpu)]);
    const perEvent = (pid) => fmt.int((f.drainProcs.get(pid) * 1e6) / d.distinct);
    rows.push(['CPU per delivered event: relay / redis-server', `${perEvent(f.drainPids[0])} / ${perEvent(f.drainPids[1])} µs`]);
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
      notes.push(
        `replay job ${j.id} still "${j.state}" when the run stopped waiting (counts ${JSON.stringify({ scanned: j.scanned, matched: j.matched, delivered: j.delivered })})`,
      );
    } else {
      const jobS = j.finishedAt ? (Date.parse(j.finishedAt) - Date.parse(j.startedAt)) / 1000 : f.replayWallS;
      rows.push([
        `replay of ${fmt.int(SETTINGS.backlog)} events (admin API, job ${j.state})`,
        `${fmt.s(jobS)} → ${fmt.int(j.delivered / jobS)} events/s`,
      ]);
      if (j.state !== 'done') notes.push(`replay job ended "${j.state}": ${j.error ?? ''}`);
    }
    rows.push([
      'replay job counts (scanned / matched / delivered / dead-lettered)',
      `${fmt.int(j.scanned)} / ${fmt.int(j.matched)} / ${fmt.int(j.delivered)} / ${fmt.int(j.deadLettered)}`,
    ]);
    rows.push(['CPU during the replay: bench processes / other', cpu(f.replayCpu)]);
    rows.push(['replay deliveries received by the sink / distinct', `${fmt.int(f.replaySink.total)} / ${fmt.int(f.replaySink.distinct)}`]);
  }
}

async function adminGet({ ADMIN_TOKEN }, url, path) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(5_000) });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`GET ${path} answered ${res.status} ${JSON.stringify(body)}`);
  return body;
}
