// `npm run chaos -- hostile`: hostile input against a relay on each store for a bounded time.
// Workers post generated bodies (hostile-bodies.mjs) while the run samples the relay's RSS; then
// slow bodies (1 byte/s) and a connection flood. Verdict: process alive, RSS under RSS_BOUND_MB, no
// 5xx but 503, nothing invalid accepted, every accepted event found stored, every body answered
// `quarantined` found in the quarantine, slow connections cut after BODY_TIMEOUT.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { basicAuth } from '../lib/payloads.mjs';
import { startRedis } from '../lib/redis.mjs';
import { generators, loadSeeds } from './hostile-bodies.mjs';
import { connectionFlood, manyHeaders, slowBodies } from './hostile-sockets.mjs';
import { Prng } from './prng.mjs';
import { RelayReplica, scratchDir } from './services.mjs';

const SECRET = 'hostile-secret-9d2c4b';
const ADMIN_TOKEN = 'hostile-admin-token-0123456789';
const AUTH = basicAuth('kc-node-1', SECRET);
const BODY_LIMIT = 1_048_576;
const BODY_TIMEOUT_S = 5;
const MAX_CONNECTIONS = 64;
const RSS_BOUND_MB = 512;
const WORKERS = 4;
const sha = (b) => createHash('sha256').update(b).digest('hex');

function rssMb(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return kb / 1024;
  } catch {
    return null;
  }
}

async function call(relay, path, init = {}) {
  const res = await request(`${relay.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers } });
  return { status: res.statusCode, json: await res.body.json().catch(() => null) };
}

export async function hostileRun(args, { root, log }) {
  const seconds = args.seconds ?? (args.quick ? 10 : 30);
  const { source, seeds } = loadSeeds(root);
  const names = args.stores ?? ['redis', 'embedded'];
  const results = [];
  for (const store of names) results.push(await hostileStore(store, { seconds, seeds, prng: new Prng(args.seed).fork(store), log }));
  const out = join(tmpdir(), `kcr-chaos-hostile-${args.seed}.json`);
  const settings = {
    seed: args.seed,
    seconds,
    seeds: source,
    BODY_LIMIT,
    BODY_TIMEOUT: `${BODY_TIMEOUT_S}s`,
    MAX_CONNECTIONS_PER_ADDRESS: MAX_CONNECTIONS,
    RSS_BOUND_MB,
  };
  writeFileSync(out, `${JSON.stringify({ settings, results }, null, 2)}\n`);
  process.stdout.write(`\nkc-event-relay hostile-input verdict (seed ${args.seed}; ${seconds} s per store; bodies from ${source})\n`);
  for (const r of results) printHostile(r);
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.store}: ${p}`));
  process.stdout.write(`${problems.length === 0 ? 'PASS' : `FAIL\n- ${problems.join('\n- ')}`}\nverdict JSON: ${out}\n`);
  return problems.length === 0 ? 0 : 1;
}

async function hostileStore(store, { seconds, seeds, prng, log }) {
  const dir = join(tmpdir(), `kcr-hostile-${process.pid}-${store}`);
  const removeDir = scratchDir(dir);
  const redis = store === 'redis' ? await startRedis() : null;
  const relay = new RelayReplica({
    name: `relay (${store})`,
    logFile: join(dir, 'relay.log'),
    env: {
      AUTH_SECRET: SECRET,
      ADMIN_TOKEN,
      LOG_LEVEL: 'error',
      BODY_LIMIT: String(BODY_LIMIT),
      BODY_TIMEOUT: `${BODY_TIMEOUT_S}s`,
      MAX_CONNECTIONS_PER_ADDRESS: String(MAX_CONNECTIONS),
      INVALID_PAYLOAD: 'quarantine',
      FLATBUFFERS_SCHEMA: 'emitter-2018',
      ...(redis ? { REDIS_URL: redis.url } : { DATA_DIR: join(dir, 'data') }),
    },
  });
  const r = { store, requests: 0, byCategory: {}, statuses: {}, problems: [], maxRssMb: 0, quarantineChecked: 0 };
  try {
    await relay.start();
    r.rssTimelineMb = [];
    let ticks = 0;
    const sampler = setInterval(() => {
      const mb = rssMb(relay.handle.pid) ?? 0;
      r.maxRssMb = Math.max(r.maxRssMb, mb);
      if (ticks++ % 8 === 0) r.rssTimelineMb.push(Math.round(mb));
    }, 250);
    log(`hostile (${store}): ${seconds} s of generated bodies`);
    await bodies(relay, r, { seconds, seeds, prng });
    log(`hostile (${store}): slow bodies and a connection flood`);
    r.headers = await manyHeaders(relay, AUTH);
    r.slow = await slowBodies(relay, 20, { authorization: AUTH, bodyTimeoutS: BODY_TIMEOUT_S });
    r.flood = await connectionFlood(relay, 150);
    clearInterval(sampler);
    r.maxRssMb = Math.round(Math.max(r.maxRssMb, rssMb(relay.handle.pid) ?? 0));
    const health = await request(`${relay.url}/healthz`).then(
      (x) => (x.body.dump(), x.statusCode),
      () => null,
    );
    r.alive = relay.up && health === 200;
    r.crashes = relay.crashes;
    if (!r.alive) r.problems.push('relay not alive at the end');
    if (relay.crashes.length) r.problems.push(`relay crashed: ${JSON.stringify(relay.crashes[0])}`);
    if (r.maxRssMb > RSS_BOUND_MB) r.problems.push(`RSS ${r.maxRssMb} MB over ${RSS_BOUND_MB} MB`);
    if (r.headers.few !== '200 accepted') r.problems.push(`500 headers: ${r.headers.few}`);
    if (!/^4\d\d/.test(r.headers.many)) r.problems.push(`5,000 headers: ${r.headers.many}`);
    if (!r.slow.allCut) r.problems.push(`${r.slow.stillOpen} slow connections still open after ${BODY_TIMEOUT_S + 10} s`);
    if (r.flood.refused === 0) r.problems.push('no connection refused beyond MAX_CONNECTIONS_PER_ADDRESS');
    if (!r.flood.servesAfter) r.problems.push('relay did not serve after the connection flood');
  } finally {
    await relay.stop();
    await redis?.stop();
    removeDir();
  }
  return r;
}

/** The generated-body phase: WORKERS loops, paused every so often to check the quarantine. */
async function bodies(relay, r, { seconds, seeds, prng }) {
  const next = generators({ seeds, bodyLimit: BODY_LIMIT });
  const agent = new Agent({ connections: WORKERS, keepAliveTimeout: 5_000 });
  const deadline = Date.now() + seconds * 1000;
  let quarantined = [];
  let gate = null;
  const checkQuarantine = async () => {
    const { json } = await call(relay, '/admin/quarantine?limit=500');
    const kept = new Set((json ?? []).map((q) => sha(Buffer.from(q.body, 'base64'))));
    const missing = quarantined.filter((h) => !kept.has(h));
    if (missing.length) r.problems.push(`${missing.length} bodies answered "quarantined" not found in the quarantine`);
    r.quarantineChecked += quarantined.length;
    quarantined = [];
  };
  const worker = async (p) => {
    while (Date.now() < deadline) {
      if (gate) await gate;
      const item = next(p);
      const c = (r.byCategory[item.category] ??= { sent: 0, answers: {} });
      c.sent += 1;
      r.requests += 1;
      let status;
      let json = null;
      try {
        const headers = {
          'content-type': 'application/json',
          ...(item.authorization === null ? {} : { authorization: item.authorization ?? AUTH }),
        };
        const res = await request(`${relay.url}/events`, {
          method: 'POST',
          dispatcher: agent,
          headers,
          body: item.body,
          headersTimeout: 30_000,
          bodyTimeout: 30_000,
        });
        status = res.statusCode;
        json = await res.body.json().catch(() => null);
      } catch (err) {
        status = `error ${err.code ?? err.name}`;
      }
      const answer = status === 200 ? `200 ${json?.status}` : json?.error?.code ? `${status} ${json.error.code}` : String(status);
      c.answers[answer] = (c.answers[answer] ?? 0) + 1;
      r.statuses[answer] = (r.statuses[answer] ?? 0) + 1;
      await judgeAnswer(relay, r, item, status, json);
      if (status === 200 && json?.status === 'quarantined') quarantined.push(sha(item.body));
      if (quarantined.length >= 300 && !gate) {
        let open;
        gate = new Promise((resolve) => (open = resolve));
        await sleep(300); // let the other workers' requests in flight finish
        await checkQuarantine();
        gate = null;
        open();
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(prng.fork(`worker-${i}`))));
  await checkQuarantine();
  await agent.close();
}

async function judgeAnswer(relay, r, item, status, json) {
  const fail = (what) => r.problems.length < 50 && r.problems.push(`${item.category}: ${what}`);
  const accepted = status === 200 && (json?.status === 'accepted' || json?.status === 'duplicate');
  // Over BODY_LIMIT the relay answers 413 from Content-Length and closes: a client still uploading
  // may see the connection cut (EPIPE) before it reads the answer.
  if (item.body.length > BODY_LIMIT && /EPIPE|ECONNRESET|UND_ERR_SOCKET/.test(String(status))) return undefined;
  if (typeof status !== 'number') return fail(`no answer (${status})`);
  if (status >= 500 && status !== 503) return fail(`answered ${status} ${JSON.stringify(json)}`);
  if (status === 200 && !['accepted', 'duplicate', 'quarantined'].includes(json?.status))
    return fail(`200 without a status: ${JSON.stringify(json)}`);
  if (status >= 400 && status < 500 && typeof json?.error?.code !== 'string') return fail(`uncoded ${status}`);
  if (item.expect === 'invalid' && accepted) return fail(`accepted an invalid body as ${json.uid}`);
  if (item.expect === 'unauth' && status !== 401 && status !== 429) return fail(`answered ${status} without valid credentials`);
  if (item.expect === 'too-large' && !(status === 413 && json?.error?.code === 'KCR_ERR_BODY_TOO_LARGE'))
    return fail(`answered ${status} over BODY_LIMIT`);
  if (item.expect === 'valid' && !accepted && status !== 503) return fail(`refused a valid body: ${status} ${JSON.stringify(json)}`);
  if (accepted) {
    const found = await call(relay, `/admin/events/${json.uid}`);
    if (found.status !== 200) return fail(`answered ${json.status} ${json.uid} but the lookup says ${found.status}`);
    if (item.detail && found.json?.details?.[item.detail[0]] !== item.detail[1])
      return fail(`stored details.${item.detail[0]} differs from what was sent`);
  }
  return undefined;
}

function printHostile(r) {
  const w = (line) => process.stdout.write(`${line}\n`);
  w(`-- ${r.store}: ${r.requests} requests; relay alive: ${r.alive ? 'yes' : 'NO'}; max RSS ${r.maxRssMb} MB (bound ${RSS_BOUND_MB} MB)`);
  for (const [name, c] of Object.entries(r.byCategory).sort()) {
    const answers = Object.entries(c.answers)
      .sort((a, b) => b[1] - a[1])
      .map(([a, k]) => `${a} ×${k}`)
      .join(', ');
    w(`   ${name.padEnd(26)} ${String(c.sent).padStart(5)}  ${answers}`);
  }
  const fivexx = Object.entries(r.statuses)
    .filter(([a]) => /^5/.test(a) && !/^503/.test(a))
    .reduce((n, [, k]) => n + k, 0);
  w(`   5xx other than 503: ${fivexx}; quarantined bodies checked in the quarantine: ${r.quarantineChecked}`);
  w(`   headers: 500 → ${r.headers.few}; 5,000 → ${r.headers.many}`);
  w(
    `   slow bodies (1 byte/s): ${r.slow.connections - r.slow.stillOpen}/${r.slow.connections} cut, ${r.slow.answered408} answered 408, last after ${r.slow.maxSecondsToCut} s (BODY_TIMEOUT ${BODY_TIMEOUT_S} s)`,
  );
  w(
    `   connection flood: ${r.flood.opened} opened, ${r.flood.refused} refused at once, ${r.flood.held} held (cap ${MAX_CONNECTIONS}); serves after: ${r.flood.servesAfter ? 'yes' : 'NO'}`,
  );
}
