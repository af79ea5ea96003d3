#!/usr/bin/env node
// Cluster logout latency: from the emitter's POST of a LOGOUT event to its message arriving at a
// Redis subscriber, p50/p99/max, at a steady 1,000 events/s (every one a LOGOUT, so every one is
// published: the worst case for the publisher). One relay and one redis-server on loopback, built
// from dist/ (`npm run build` first); every child is stopped at the end, on error and on Ctrl-C.
//   node bench/logout-latency.mjs            10 s at 1,000/s after a 2 s warm-up
//   BENCH_QUICK=1 node bench/logout-latency.mjs
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { load } from './lib/load.mjs';
import { basicAuth, UidSource } from './lib/payloads.mjs';
import { freePort, killAllSync, startChild, stopAll, waitHttp } from './lib/procs.mjs';
import { redisVersion, startRedis } from './lib/redis.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN_JS = join(ROOT, 'dist/src/main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const RATE = 1_000;
const WARMUP_S = QUICK ? 1 : 2;
const DURATION_S = QUICK ? 3 : 10;
const PREFIX = 'blogout:';
const SECRET = 'bench-secret-7f3a9c';

function logoutBody(uid) {
  const fields = {
    time: Number(UidSource.timeOf(uid)),
    type: 'LOGOUT',
    realmId: 'shop',
    clientId: 'web',
    userId: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
    sessionId: `s-${uid}`,
    ipAddress: '10.0.0.7',
    error: null,
    details: { redirect_uri: 'https://shop.example/' },
  };
  return `${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`;
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function main() {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} missing: run \`npm run build\``);
  const redis = await startRedis();
  const port = await freePort();
  const relay = startChild('relay', process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: { HOST: '127.0.0.1', PORT: String(port), AUTH_SECRET: SECRET, LOG_LEVEL: 'warn', REDIS_URL: redis.url, KEY_PREFIX: PREFIX },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(relay, `${url}/readyz`, { timeoutMs: 30_000 });

  // Load: autocannon at a fixed rate, exactly as the ingest fixed-rate runs of bench/run.mjs, so
  // the POST answer times here compare with theirs. Each body is timed (sub-ms) when autocannon
  // builds it, just before sending; its message, found by eventUid, is timed on arrival.
  let measuring = false;
  const latencies = [];
  /** uid -> send time, for bodies of the measured run whose message has not arrived yet. */
  const awaited = new Map();
  const subscriber = new Redis(redis.url);
  subscriber.on('message', (_channel, text) => {
    const arrived = performance.now();
    const { eventUid } = JSON.parse(text);
    const sent = awaited.get(eventUid);
    if (sent === undefined) return;
    awaited.delete(eventUid);
    latencies.push(arrived - sent);
  });
  await subscriber.subscribe(`${PREFIX}logout`);

  const uids = new UidSource();
  const run = (seconds) =>
    load({
      url: `${url}/events`,
      connections: 4,
      duration: seconds,
      overallRate: RATE,
      headers: { authorization: basicAuth('kc-node-1', SECRET) },
      body: () => {
        const uid = uids.next();
        if (measuring) awaited.set(uid.toString(), performance.now());
        return logoutBody(uid);
      },
    });
  await run(WARMUP_S);
  measuring = true;
  const measured = await run(DURATION_S);
  measuring = false;
  const deadline = Date.now() + 10_000;
  while (awaited.size > 0 && Date.now() < deadline) await sleep(20);

  latencies.sort((a, b) => a - b);
  const ms = (v) => `${v.toFixed(2)} ms`;
  const result = {
    sent: latencies.length + awaited.size,
    rate: `${Math.round(measured.rps)}/s`,
    received: latencies.length,
    lost: awaited.size,
    failed: measured.non2xx + measured.errors + measured.timeouts,
    p50: ms(quantile(latencies, 0.5)),
    p99: ms(quantile(latencies, 0.99)),
    max: ms(latencies[latencies.length - 1]),
    // What Keycloak's login thread waits: the POST's own answer time, for comparison.
    answer: { p50: `${measured.p50.toFixed(2)} ms`, p99: `${measured.p99.toFixed(2)} ms` },
  };
  console.log(`logout latency, POST -> subscriber, ${RATE} LOGOUT events/s for ${DURATION_S} s`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, Redis ${redisVersion()}`);
  console.log(JSON.stringify(result, null, 2));

  if (process.env.BENCH_METRICS)
    console.log(
      (await (await fetch(`${url}/metrics`)).text())
        .split('\n')
        .filter((l) => l.startsWith('kcr_logout') || l.startsWith('kcr_ingest_duration'))
        .join('\n'),
    );
  subscriber.disconnect();
  await stopAll();
}

// A child must never outlive the run, whatever way it ends.
process.on('exit', killAllSync);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
