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
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { basicAuth, UidSource } from './lib/payloads.mjs';
import { freePort, killAllSync, startChild, stopAll, waitHttp } from './lib/procs.mjs';
import { redisVersion, startRedis } from './lib/redis.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN_JS = join(ROOT, 'dist/src/main.js');
const QUICK = process.env.BENCH_QUICK === '1';
const RATE = 1_000;
const WARMUP_S = QUICK ? 1 : 2;
const DURATION_S = QUICK ? 3 : 10;
const TICK_MS = 5; // RATE/200 events every 5 ms: a steady flow rather than one burst per second
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

  const sentAt = new Map();
  const latencies = [];
  const answerLatencies = [];
  let measuring = false;
  const subscriber = new Redis(redis.url);
  subscriber.on('message', (_channel, text) => {
    const arrived = performance.now();
    const { eventUid } = JSON.parse(text);
    const sent = sentAt.get(eventUid);
    if (sent === undefined) return;
    sentAt.delete(eventUid);
    if (sent.measured) latencies.push(arrived - sent.at);
  });
  await subscriber.subscribe(`${PREFIX}logout`);

  const pool = new Pool(url, { connections: 16, pipelining: 1 });
  const uids = new UidSource();
  const authorization = basicAuth('kc-node-1', SECRET);
  let failed = 0;
  const post = async () => {
    const uid = uids.next();
    const sent = { at: performance.now(), measured: measuring };
    sentAt.set(uid.toString(), sent);
    const res = await pool.request({ path: '/events', method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: logoutBody(uid) });
    const answer = await res.body.json();
    if (sent.measured) answerLatencies.push(performance.now() - sent.at);
    if (answer.status !== 'accepted') failed += 1;
  };

  // Paced by the clock, not by sleeps: a late tick catches up, so the rate holds.
  const perTick = (RATE * TICK_MS) / 1000;
  const run = async (seconds) => {
    const start = performance.now();
    const inflight = [];
    for (let tick = 0; tick < (seconds * 1000) / TICK_MS; tick++) {
      const due = start + tick * TICK_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      for (let i = 0; i < perTick; i++) inflight.push(post());
    }
    await Promise.all(inflight);
    return performance.now() - start;
  };
  await run(WARMUP_S);
  measuring = true;
  const elapsed = await run(DURATION_S);
  const deadline = Date.now() + 10_000;
  while ([...sentAt.values()].some((s) => s.measured) && Date.now() < deadline) await sleep(20);
  const lost = [...sentAt.values()].filter((s) => s.measured).length;

  latencies.sort((a, b) => a - b);
  answerLatencies.sort((a, b) => a - b);
  const ms = (v) => `${v.toFixed(2)} ms`;
  const result = {
    sent: Math.round((DURATION_S * 1000) / TICK_MS) * perTick,
    rate: `${Math.round((latencies.length + lost) / (elapsed / 1000))}/s`,
    received: latencies.length,
    lost,
    failed,
    p50: ms(quantile(latencies, 0.5)),
    p99: ms(quantile(latencies, 0.99)),
    max: ms(latencies[latencies.length - 1]),
    // What Keycloak's login thread waits: the POST's own answer time, for comparison.
    answer: { p50: ms(quantile(answerLatencies, 0.5)), p99: ms(quantile(answerLatencies, 0.99)) },
  };
  console.log(`logout latency, POST -> subscriber, ${RATE} LOGOUT events/s for ${DURATION_S} s`);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, Redis ${redisVersion()}`);
  console.log(JSON.stringify(result, null, 2));

  if (process.env.BENCH_METRICS) console.log((await (await fetch(`${url}/metrics`)).text()).split('\n').filter((l) => l.startsWith('kcr_logout') || l.startsWith('kcr_ingest_duration')).join('\n'));
  subscriber.disconnect();
  await pool.close();
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
