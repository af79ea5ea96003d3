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
 * pids whose CPU seconds over the run are returned in `cpuS` (a Map by pid).
 */
export function load({ url, connections, duration, amount, overallRate, headers = {}, body, headersFor, timeout = 10, watch = [] }) {
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
      });
    });
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300 && n < MAX_SAMPLES) samples[n++] = responseTime;
    });
  });
}
