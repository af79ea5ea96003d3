// Turns the run's figures into the console table and docs/benchmarks.md. The markdown is written
// only by the script, from the figures of one run, so the document cannot drift from a real run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export const fmt = {
  int: (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—'),
  ms: (v) => (Number.isFinite(v) ? v.toFixed(2) : '—'),
  ratio: (v) => (Number.isFinite(v) ? v.toFixed(2) : '—'),
  /** Ratios compared with a target: 0.698 must not print as 0.70 next to "NOT met". */
  ratio3: (v) => (Number.isFinite(v) ? v.toFixed(3) : '—'),
  s: (v) => (Number.isFinite(v) ? `${v.toFixed(1)} s` : '—'),
};

function widths(headers, rows) {
  return headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
}

export function textTable(headers, rows) {
  const w = widths(headers, rows);
  const line = (cells) => cells.map((c, i) => String(c).padEnd(w[i])).join('  ');
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

export function mdTable(headers, rows) {
  const esc = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Cores used by the benchmark's own processes / by the rest of the machine during the run. */
const cpu = (r) => `${fmt.ratio(r.oursCores)} / ${fmt.ratio(r.foreignCores)}`;

const verdict = (met) => (met === true ? 'met' : met === false ? '**NOT met**' : met === 'none' ? 'reported (no target)' : 'not measured');

/** CPU per event (µs) of the row's server process, and of each of its store's processes. */
const cpuCols = (r) => [
  fmt.int(r.serverUs),
  r.storeUs === undefined ? '—' : r.storeUs.length === 0 ? 'n/a' : r.storeUs.map(fmt.int).join(' / '),
];
const CPU_HEADERS = ['CPU µs/event: server', 'CPU µs/event: Redis'];

const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '—');

const saturationHeaders = [
  'server',
  'body',
  'req/s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'non-2xx',
  'errors',
  'stored',
  '× bare route',
  ...CPU_HEADERS,
  'CPU bench/other',
];
const saturationRow = (r) => [
  r.server,
  r.body,
  fmt.int(r.rps),
  fmt.ms(r.p50),
  fmt.ms(r.p99),
  fmt.ms(r.max),
  fmt.int(r.non2xx),
  fmt.int(r.errors + r.timeouts),
  r.stored ?? 'n/a',
  r.ratio === undefined ? '1.00 (reference)' : fmt.ratio(r.ratio),
  ...cpuCols(r),
  cpu(r),
];
const fixedRateHeaders = [
  'server',
  'body',
  'achieved req/s',
  'p50 ms',
  'p99 ms',
  'p99.9 ms',
  'max ms',
  'autocannon p99 ms',
  'non-2xx',
  'errors',
  ...CPU_HEADERS,
  'CPU bench/other',
];
const fixedRateRow = (r) => [
  r.server,
  r.body,
  fmt.int(r.rps),
  fmt.ms(r.p50),
  fmt.ms(r.p99),
  fmt.ms(r.p999),
  fmt.ms(r.max),
  fmt.int(r.acP99),
  fmt.int(r.non2xx),
  fmt.int(r.errors + r.timeouts),
  ...cpuCols(r),
  cpu(r),
];

/** The sections shared by the console and the markdown, as [title, headers, rows]. */
export function sections(results) {
  const out = [];
  out.push([
    'Targets',
    ['target', 'goal', 'measured', 'verdict'],
    results.targets.map((t) => [t.name, t.goal, t.measured, verdict(t.met)]),
  ]);
  out.push([
    `Ingest at saturation (${results.settings.connections} connections, ${results.settings.duration} s each in ${results.settings.slices} slices taken in turns, after a ${results.settings.warmup} s warm-up)`,
    saturationHeaders,
    results.saturation.map(saturationRow),
  ]);
  out.push([
    `Ingest at a fixed ${fmt.int(results.settings.rate)} req/s (${results.settings.rateConnections} connections, ${results.settings.rateDuration} s each)`,
    fixedRateHeaders,
    results.fixedRate.map(fixedRateRow),
  ]);
  if (results.workers?.length > 0) {
    out.push([
      `WORKERS=2 against WORKERS=1, relay on Redis (saturation, ${results.settings.connections} connections, ${results.settings.duration} s in ${results.settings.slices} slices; ${results.meta.cores} cores shared by the relay's processes, redis-server and the load generator)`,
      [...saturationHeaders, '× WORKERS=1', "cores used: relay's processes"],
      results.workers.map((r) => [...saturationRow(r), r.vsSingle === undefined ? '—' : fmt.ratio(r.vsSingle), fmt.ratio(r.serverCores)]),
    ]);
  }
  if (results.cluster?.length > 0) {
    out.push([
      `Redis Cluster, 3 primaries: PARTITIONS=1 vs 6 (saturation, ${results.settings.connections} connections, ${results.settings.duration} s in ${results.settings.slices} slices; Redis CPU per shard)`,
      saturationHeaders,
      results.cluster.map(saturationRow),
    ]);
  }
  if (results.replication?.length > 0) {
    out.push([
      `A primary with one replica: REDIS_WAIT_REPLICAS=0 vs 1 (fixed ${fmt.int(results.settings.rate)} req/s; Redis CPU primary / replica)`,
      fixedRateHeaders,
      results.replication.map(fixedRateRow),
    ]);
  }
  if (results.profile) {
    const p = results.profile;
    out.push([
      `Where the relay's CPU goes (node --cpu-prof, relay on Redis, JSON, saturation; ${fmt.int(p.rps)} req/s while profiled${p.whole ? '; WHOLE run, start-up included' : ''}): self time, share of the busy time (${fmt.int(p.busyMs)} ms busy, ${fmt.int(p.idleMs)} ms idle); socket writes: ${pct(p.writes.redis)} Redis commands, ${pct(p.writes.http)} HTTP answers`,
      ['share', 'function', 'called from'],
      p.rows.map((r) => [pct(r.share), `\`${r.what}\``, r.via ? `\`${r.via}\`` : '']),
    ]);
  }
  if (results.drain.rows.length > 0) {
    out.push(['Forwarding: drain and replay', ['measure', 'value'], results.drain.rows]);
  }
  return out;
}

export function printConsole(results) {
  for (const [title, headers, rows] of sections(results)) {
    console.log(`\n${title}\n${textTable(headers, rows)}`);
  }
  if (results.notes.length > 0) console.log(`\nNotes:\n${results.notes.map((n) => `- ${n}`).join('\n')}`);
}

export function writeMarkdown(path, results) {
  const m = results.meta;
  const parts = [
    '# Benchmarks',
    '',
    `_Written by \`${m.command}\` (bench/run.mjs) from one run; do not edit by hand, run it again._`,
    '',
    `- Date: ${m.date}`,
    `- Code measured: ${m.revision}`,
    `- Node: ${m.node} (the project's own toolchain, \`node_modules/.bin/node\`)`,
    `- Machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB RAM, ${m.os}`,
    `- Redis: ${m.redis} (private redis-servers started by the run; without persistence, \`--save '' --appendonly no\`, unless the row says \`appendfsync always\`: \`--appendonly yes --appendfsync always\`)`,
    `- fastify ${m.fastify}, autocannon ${m.autocannon}`,
    `- Command: \`${m.command}\`${m.quick ? ' (**BENCH_QUICK=1: shortened run, figures indicative only**)' : ''}`,
    `- Load average (1 min) at start / end: ${m.loadStart} / ${m.loadEnd}; "CPU bench/other" columns: cores used by the benchmark's processes / by the rest of the machine during each measurement`,
    `- Total run time: ${fmt.s(m.elapsedS)}`,
    '',
    // Kept apart because this file is rewritten whole by every run.
    "Where the relay's time went, before and after each change to the ingest path, measured by hand: [benchmarks-profile.md](benchmarks-profile.md).",
    '',
  ];
  for (const [title, headers, rows] of sections(results)) {
    parts.push(`## ${title}`, '', mdTable(headers, rows), '');
  }
  parts.push('## How it is measured', '', ...results.method.map((l) => `- ${l}`), '');
  if (results.notes.length > 0) parts.push('## Notes from this run', '', ...results.notes.map((n) => `- ${n}`), '');
  const kept = containerFigures(path);
  if (kept) parts.push(kept, '');
  writeFileSync(path, `${parts.join('\n')}`);
}

/**
 * The container image's figures, written into the same file by `npm run test:container`
 * (test/container/figures.ts, same markers), from a run of their own: kept as they are.
 */
function containerFigures(path) {
  if (!existsSync(path)) return null;
  const m = /<!-- container figures -->[\s\S]*<!-- \/container figures -->/.exec(readFileSync(path, 'utf8'));
  return m ? m[0] : null;
}
