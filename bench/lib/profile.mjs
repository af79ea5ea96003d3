// Where a process's CPU went, from a V8 CPU profile (`node --cpu-prof`): self time per function,
// each named with the nearest caller in the relay's or a package's code ("via"), so that a socket
// write says whether it was an HTTP answer or a Redis command.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from './load.mjs';

/** The one .cpuprofile a process wrote into `dir` (--cpu-prof-dir). */
export function readProfile(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8'));
}

const place = (url) => {
  if (!url) return '';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2]}`;
  const src = /\/dist\/(src\/.*)$/.exec(url);
  if (src) return src[1].replace(/\.js$/, '.ts');
  return url.replace(/^node:/, 'node:');
};

const isOwnCode = (url) => /node_modules\/|\/dist\/src\//.test(url ?? '');
const name = (frame) => `${frame.functionName || '(anonymous)'}${frame.url ? ` ${place(frame.url)}:${frame.lineNumber + 1}` : ''}`;

/**
 * Self time per function over the samples stamped within [fromUs, toUs] (V8's monotonic clock), as
 * a share of the busy time (idle excluded). Returns the busy and idle milliseconds and the `top`
 * rows, plus the share of socket writes made for Redis commands and for HTTP answers.
 */
export function summarizeProfile(profile, { fromUs = -Infinity, toUs = Infinity, top = 15 } = {}) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  /** The nearest caller in the relay's or a package's code, for frames that are not. */
  const via = (id) => {
    for (let p = parent.get(id); p !== undefined; p = parent.get(p)) {
      const frame = nodes.get(p).callFrame;
      if (isOwnCode(frame.url)) return name(frame);
    }
    return '';
  };
  const self = new Map();
  let atUs = profile.startTime;
  let busyUs = 0;
  let idleUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    atUs += dt;
    if (atUs < fromUs || atUs > toUs) continue;
    const node = nodes.get(profile.samples[i]);
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    busyUs += dt;
    const key = isOwnCode(frame.url) ? name(frame) : `${name(frame)}\u0000${via(node.id)}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const writes = { redis: 0, http: 0 };
  for (const [key, us] of self) {
    const [what, caller = ''] = key.split('\u0000');
    if (!/^(writeUtf8String|writeLatin1String|writeBuffer|writev|writeAsciiString) /.test(`${what} `)) continue;
    if (caller.includes(' ioredis/')) writes.redis += us / busyUs;
    else if (caller.includes(' fastify/')) writes.http += us / busyUs;
  }
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [what, caller = ''] = key.split('\u0000');
      return { what, via: caller, share: us / busyUs };
    });
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, rows, writes };
}

/**
 * The relay on `redisUrl` under `node --cpu-prof`, loaded at saturation (warm-up, then the measured
 * window); returns the summary of the window only, start-up and shutdown left out.
 */
export async function profileRelay(bench, { redisUrl, body, dir }) {
  const { SETTINGS, AUTHORIZATION, startRelay } = bench;
  const relay = await startRelay(
    'relay (profiled)',
    { REDIS_URL: redisUrl, KEY_PREFIX: 'bprofile:' },
    { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] },
  );
  const common = { url: `${relay.url}/events`, headers: { authorization: AUTHORIZATION }, body, connections: SETTINGS.connections };
  let window;
  let result;
  try {
    await load({ ...common, duration: SETTINGS.warmup });
    // V8 stamps samples with the monotonic clock that process.hrtime reads (Linux): the window is exact.
    const from = process.hrtime.bigint() / 1000n;
    result = await load({ ...common, duration: SETTINGS.duration });
    window = { fromUs: Number(from), toUs: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    await relay.proc.stop(); // SIGTERM: the relay exits normally, which writes the profile
  }
  const profile = readProfile(dir);
  let summary = summarizeProfile(profile, { ...window, top: 15 });
  let whole = false;
  if (summary.busyMs === 0) {
    summary = summarizeProfile(profile, { top: 15 }); // another clock: the whole run, start-up included
    whole = true;
  }
  return { ...summary, whole, rps: result.rps };
}
