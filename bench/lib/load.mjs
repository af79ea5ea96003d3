// autocannon, used programmatically, with a fresh body (and optionally headers) per request.
// Latencies are recorded here from autocannon's per-response callback, in sub-millisecond
// precision: autocannon's own histogram keeps whole milliseconds, too coarse for a 5 ms target.
import autocannon from 'autocannon';
import { cpuMeter, processCpu } from './cpu.mjs';
import { livePids } from './procs.mjs';

const MAX_SAMPLES = 4_000_000; // bounds memory (32 MB) whatever the rate

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

/**
 * One autocannon run. `body()` gives each request its body; `headersFor()` optional per-request
 * headers (merged over `headers`). Stops after `duration` seconds or `amount` requests. `watch`:
 * pids whose CPU seconds over the run are returned in `cpuS` (a Map by pid). `keepSamples`: the
 * sorted latencies are returned too (`samples`), for combining runs (combineLoads).
 */
export function load({
  url,
  connections,
  duration,
  amount,
  overallRate,
  headers = {},
  body,
  headersFor,
  timeout = 10,
  watch = [],
  keepSamples = false,
}) {
  const target = new URL(url);
  const samples = new Float64Array(MAX_SAMPLES);
  let n = 0;
  const options = {
    url: target.origin,
    connections,
    pipelining: 1,
    timeout,
    ...(amount ? { amount } : { duration }),
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        method: 'POST',
        path: target.pathname,
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest(req) {
          req.body = body();
          if (headersFor) Object.assign(req.headers, headersFor());
          return req;
        },
      },
    ],
  };
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const cpu = cpuMeter(livePids);
    const watched = processCpu(watch);
    const instance = autocannon(options, (err, result) => {
      if (err) return reject(err);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const cpuS = watched.stop();
      const { oursCores, foreignCores } = cpu.stop();
      const sorted = samples.subarray(0, n).sort();
      resolve({
        seconds,
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes: result.statusCodeStats,
        rps: result['2xx'] / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        p999: percentile(sorted, 99.9),
        max: sorted.length ? sorted[sorted.length - 1] : NaN,
        // autocannon's p99: whole ms, and under a fixed rate corrected for coordinated omission.
        acP99: result.latency.p99,
        oursCores,
        foreignCores,
        cpuS,
        ...(keepSamples ? { samples: Float64Array.from(sorted) } : {}),
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300 && n < MAX_SAMPLES) samples[n++] = responseTime;
    });
  });
}

/**
 * One result from several load() runs of the same server (kept with keepSamples): counts and CPU
 * seconds summed, rates over the summed seconds, percentiles over every sample.
 */
export function combineLoads(parts) {
  const seconds = parts.reduce((sum, r) => sum + r.seconds, 0);
  const sumOf = (key) => parts.reduce((sum, r) => sum + r[key], 0);
  const weighted = (key) => parts.reduce((sum, r) => sum + r[key] * r.seconds, 0) / seconds;
  const all = new Float64Array(parts.reduce((n, r) => n + r.samples.length, 0));
  let at = 0;
  for (const r of parts) {
    all.set(r.samples, at);
    at += r.samples.length;
  }
  all.sort();
  const cpuS = new Map();
  for (const r of parts) for (const [pid, s] of r.cpuS) cpuS.set(pid, (cpuS.get(pid) ?? 0) + s);
  const statusCodes = {};
  for (const r of parts) {
    for (const [code, stat] of Object.entries(r.statusCodes ?? {}))
      statusCodes[code] = { count: (statusCodes[code]?.count ?? 0) + stat.count };
  }
  return {
    seconds,
    ok: sumOf('ok'),
    non2xx: sumOf('non2xx'),
    errors: sumOf('errors'),
    timeouts: sumOf('timeouts'),
    statusCodes,
    rps: sumOf('ok') / seconds,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    p999: percentile(all, 99.9),
    max: all.length ? all[all.length - 1] : NaN,
    acP99: Math.max(...parts.map((r) => r.acP99)),
    oursCores: weighted('oursCores'),
    foreignCores: weighted('foreignCores'),
    cpuS,
  };
}
