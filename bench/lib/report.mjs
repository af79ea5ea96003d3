// Turns the run's figures into the console table and docs/benchmarks.md. The markdown is written
// only by the script, from the figures of one run, so the document cannot drift from a real run.
import { writeFileSync } from 'node:fs';

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

const verdict = (met) => (met === true ? 'met' : met === false ? '**NOT met**' : 'not measured');

/** The sections shared by the console and the markdown, as [title, headers, rows]. */
export function sections(results) {
  const out = [];
  out.push([
    'Targets',
    ['target', 'goal', 'measured', 'verdict'],
    results.targets.map((t) => [t.name, t.goal, t.measured, verdict(t.met)]),
  ]);
  out.push([
    `Ingest at saturation (${results.settings.connections} connections, ${results.settings.duration} s each, after a ${results.settings.warmup} s warm-up)`,
    ['server', 'body', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'stored', '× bare route', 'CPU bench/other'],
    results.saturation.map((r) => [
      r.server, r.body, fmt.int(r.rps), fmt.ms(r.p50), fmt.ms(r.p99), fmt.ms(r.max),
      fmt.int(r.non2xx), fmt.int(r.errors + r.timeouts), r.stored ?? 'n/a', r.ratio === undefined ? '1.00 (reference)' : fmt.ratio(r.ratio),
      cpu(r),
    ]),
  ]);
  out.push([
    `Ingest at a fixed ${fmt.int(results.settings.rate)} req/s (${results.settings.rateConnections} connections, ${results.settings.rateDuration} s each)`,
    ['server', 'body', 'achieved req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'autocannon p99 ms', 'non-2xx', 'errors', 'CPU bench/other'],
    results.fixedRate.map((r) => [
      r.server, r.body, fmt.int(r.rps), fmt.ms(r.p50), fmt.ms(r.p99), fmt.ms(r.p999), fmt.ms(r.max), fmt.int(r.acP99),
      fmt.int(r.non2xx), fmt.int(r.errors + r.timeouts), cpu(r),
    ]),
  ]);
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
    `- Redis: ${m.redis} (private redis-server started by the run, no persistence: \`--save '' --appendonly no\`)`,
    `- fastify ${m.fastify}, autocannon ${m.autocannon}`,
    `- Command: \`${m.command}\`${m.quick ? ' (**BENCH_QUICK=1: shortened run, figures indicative only**)' : ''}`,
    `- Load average (1 min) at start / end: ${m.loadStart} / ${m.loadEnd}; "CPU bench/other" columns: cores used by the benchmark's processes / by the rest of the machine during each measurement`,
    `- Total run time: ${fmt.s(m.elapsedS)}`,
    '',
  ];
  for (const [title, headers, rows] of sections(results)) {
    parts.push(`## ${title}`, '', mdTable(headers, rows), '');
  }
  parts.push('## How it is measured', '', ...results.method.map((l) => `- ${l}`), '');
  if (results.notes.length > 0) parts.push('## Notes from this run', '', ...results.notes.map((n) => `- ${n}`), '');
  writeFileSync(path, `${parts.join('\n')}`);
}
