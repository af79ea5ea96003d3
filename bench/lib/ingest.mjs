// The servers under test (the bare fastify route, relays) and the ingest measurements: saturation
// and fixed rate, servers taking turns, each row with the CPU its server process and its store's
// processes used per event (from /proc), the figure that holds on any machine.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { combineLoads, load } from './load.mjs';
import { childPids, freePort, startChild, waitHttp } from './procs.mjs';
import { fmt } from './report.mjs';

/**
 * `bench`: what the run shares with its phases: ROOT, NODE, MAIN_JS, SETTINGS, AUTH_SECRET,
 * ADMIN_TOKEN, AUTHORIZATION, notes, failures, quiet().
 */
export function servers(bench) {
  const { ROOT, NODE, MAIN_JS, AUTH_SECRET, ADMIN_TOKEN } = bench;

  /**
   * Configured as the relay where it costs per request: pino at info without request lines, raw
   * Buffer bodies. With `redisUrl`, the Redis append floor: each body appended to a stream first.
   */
  async function startBaseline({ redisUrl } = {}) {
    const port = await freePort();
    const proc = startChild(redisUrl ? 'Redis append floor' : 'bare fastify', NODE, [join(ROOT, 'bench/servers/bare-fastify.mjs')], {
      cwd: ROOT,
      env: { PORT: String(port), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(proc, `${url}/healthz`);
    return { url, proc };
  }

  /** The built relay with its defaults (LOG_LEVEL included) but a buffer no run fills; `nodeArgs` go to node. */
  async function startRelay(name, env, { nodeArgs = [] } = {}) {
    const port = await freePort();
    const spawnedAt = Date.now();
    const proc = startChild(name, NODE, [...nodeArgs, MAIN_JS], {
      cwd: ROOT,
      env: {
        HOST: '127.0.0.1',
        PORT: String(port),
        AUTH_SECRET,
        ADMIN_TOKEN,
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

  return { startBaseline, startRelay };
}

/** The relay's own count of ingest outcomes (/metrics): "accepted" means stored, by contract. */
export async function ingestOutcomes(relayUrl) {
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
export async function settledOutcomes(relayUrl) {
  let previous = await ingestOutcomes(relayUrl);
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    const current = await ingestOutcomes(relayUrl);
    if (current.accepted === previous.accepted) return current;
    previous = current;
  }
  return previous;
}

/** The server's processes: a relay with WORKERS above 1 is its supervisor and the relay processes it forked. */
const serverPids = (s) => [s.pid, ...childPids(s.pid)];

/**
 * CPU per event of the row's server (all its processes) and of its store's processes (µs), from the
 * seconds load() watched, and the cores the server used meanwhile. `events`: stored events for a
 * relay, answered requests for the bare route.
 */
function cpuPerEvent(s, r, events) {
  const seconds = (pids) => pids.reduce((sum, pid) => sum + (r.cpuS.get(pid) ?? NaN), 0);
  const us = (pids) => (events > 0 ? (seconds(pids) * 1e6) / events : NaN);
  const server = serverPids(s);
  return { serverUs: us(server), storeUs: (s.storePids ?? []).map((pid) => us([pid])), serverCores: seconds(server) / r.seconds };
}

/**
 * Saturation and/or fixed rate, for each body format. The servers take turns (bare route, then
 * each relay, same body; at saturation slice by slice) so that a change in the machine's background
 * load hits the baseline and the relays alike; idle ones cost nothing. A server is `{ server, url, pid,
 * storePids?, baseline?, checkStored? }`.
 */
export async function ingestRounds(bench, list, bodyKinds, { saturation: doSaturation = true, fixedRate: doFixedRate = true } = {}) {
  const { SETTINGS, AUTHORIZATION, notes, failures, quiet } = bench;
  const saturation = [];
  const fixedRate = [];
  const watch = (s) => [...serverPids(s), ...(s.storePids ?? [])];
  for (const kind of doSaturation ? bodyKinds : []) {
    const common = (s) => ({
      url: `${s.url}/events`,
      headers: { authorization: AUTHORIZATION },
      body: kind.body,
      connections: SETTINGS.connections,
    });
    const live = [];
    await quiet();
    for (const s of list) {
      try {
        // Warm-up (JIT, keep-alive connections, Redis script cache): not recorded.
        await load({ ...common(s), duration: SETTINGS.warmup });
        live.push({ s, parts: [], accepted: 0 });
      } catch (err) {
        failures.push(`${s.server}, ${kind.name}, saturation warm-up: ${err.message}`);
      }
    }
    // The measured seconds in short slices, the servers taking turns slice by slice: on a shared
    // machine whose speed drifts (other tenants, CPU steal), each server's figure then spans the
    // same minute as the others', which one block per server after the other did not give.
    const sliceS = SETTINGS.duration / SETTINGS.slices;
    for (let slice = 0; slice < SETTINGS.slices; slice++) {
      for (const m of live) {
        if (m.error) continue;
        const { s } = m;
        try {
          const before = s.checkStored ? await settledOutcomes(s.url) : null;
          const r = await load({ ...common(s), duration: sliceS, watch: watch(s), keepSamples: true });
          m.parts.push(r);
          if (s.checkStored) {
            const after = await settledOutcomes(s.url);
            m.accepted += (after.accepted ?? 0) - (before.accepted ?? 0);
            m.outcomes = after;
          }
        } catch (err) {
          m.error = err;
          failures.push(`${s.server}, ${kind.name}, saturation: ${err.message}`);
        }
      }
    }
    let baseline = null;
    for (const m of live) {
      if (m.error) continue;
      const { s } = m;
      const r = combineLoads(m.parts);
      const row = { server: s.server, body: kind.name, mode: 'saturation', ...r };
      let events = r.ok + r.non2xx;
      if (s.checkStored) {
        events = m.accepted;
        // autocannon stops with up to one request per connection in flight: those are stored
        // but their answers are not counted, so accepted may exceed the 2xx by that much a slice.
        const inFlight = m.accepted - r.ok;
        const consistent = inFlight >= 0 && inFlight <= SETTINGS.connections * SETTINGS.slices;
        row.stored = consistent
          ? `${fmt.int(m.accepted)} (2xx + ${inFlight} in flight at the slices' ends)`
          : `${fmt.int(m.accepted)} ≠ ${fmt.int(r.ok)} 2xx`;
        if (!consistent)
          notes.push(
            `${s.server}, ${kind.name}: ${r.ok} answers 2xx but ${m.accepted} counted accepted (outcomes so far: ${JSON.stringify(m.outcomes)})`,
          );
      }
      Object.assign(row, cpuPerEvent(s, r, events));
      if (s.baseline) baseline = row;
      else if (baseline) row.ratio = row.rps / baseline.rps;
      saturation.push(row);
      console.log(
        `  ${s.server}, ${kind.name}: ${fmt.int(r.rps)} req/s, p99 ${fmt.ms(r.p99)} ms, CPU ${fmt.int(row.serverUs)} µs/event, non-2xx ${r.non2xx}, errors ${r.errors}, other CPU ${fmt.ratio(r.foreignCores)}`,
      );
    }
  }
  for (const kind of doFixedRate ? bodyKinds : []) {
    for (const s of list) {
      try {
        await quiet();
        const r = await load({
          url: `${s.url}/events`,
          headers: { authorization: AUTHORIZATION },
          body: kind.body,
          connections: SETTINGS.rateConnections,
          overallRate: SETTINGS.rate,
          duration: SETTINGS.rateDuration,
          watch: watch(s),
        });
        // Every 2xx at a fixed rate is a new uid (stored), as the saturation rows check.
        const row = { server: s.server, body: kind.name, mode: `at ${SETTINGS.rate}/s`, ...r, ...cpuPerEvent(s, r, r.ok) };
        fixedRate.push(row);
        console.log(
          `  ${s.server}, ${kind.name} @${SETTINGS.rate}/s: p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms, max ${fmt.ms(r.max)} ms, other CPU ${fmt.ratio(r.foreignCores)}`,
        );
      } catch (err) {
        failures.push(`${s.server}, ${kind.name}, fixed rate: ${err.message}`);
      }
    }
  }
  return { saturation, fixedRate };
}
