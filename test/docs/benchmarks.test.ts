// docs/benchmarks.md has two writers, each from a run of its own: `npm run bench` (bench/lib/report.mjs)
// writes the file, `npm run test:container` (test/container/figures.ts) its container block. Neither
// may lose the other's figures.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { recordContainerFigures, type ContainerFigures } from '../container/figures.js';

const figures = (coldMs: number): ContainerFigures => ({
  image: 'kc-event-relay:local',
  baseImage: 'kcr-local/node:24-bookworm-slim',
  imageBytes: 238e6,
  baseBytes: 214e6,
  compressedBytes: 81e6,
  coldStartMs: [coldMs, coldMs + 100, coldMs + 200],
  processToReadyMs: [900, 950, 990],
});

/** The least that bench/run.mjs hands writeMarkdown: a run with no rows. */
const benchRun = {
  meta: { command: 'npm run bench', date: '2026-01-01T00:00:00Z', revision: 'abc1234', quick: false, elapsedS: 1 },
  targets: [],
  settings: { connections: 16, duration: 10, warmup: 2, rate: 1000, rateConnections: 4, rateDuration: 10 },
  saturation: [],
  fixedRate: [],
  drain: { rows: [] },
  method: ['one line'],
  notes: [],
};

it('the container block is written once, replaced in place, and kept when npm run bench rewrites the file', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kcr-bench-doc-')), 'benchmarks.md');
  writeFileSync(file, '# Benchmarks\n\nold figures\n');
  recordContainerFigures(figures(1500), file);
  recordContainerFigures(figures(1700), file);
  const recorded = readFileSync(file, 'utf8');
  expect(recorded.match(/<!-- container figures -->/g)).toHaveLength(1);
  expect(recorded).toContain('| 1.80 s (1.70 s, 1.80 s, 1.90 s) | met |');
  expect(recorded).toContain('| 238.0 MB, of which the base image 214.0 MB | **NOT met** |');

  const report = (await import(pathToFileURL('bench/lib/report.mjs').href)) as { writeMarkdown: (path: string, results: object) => void };
  report.writeMarkdown(file, benchRun);
  const rewritten = readFileSync(file, 'utf8');
  expect(rewritten).not.toContain('old figures');
  expect(rewritten).toContain('- Code measured: abc1234');
  // The hand-written profile lives in its own file, which every rewrite links.
  expect(rewritten).toContain('[benchmarks-profile.md](benchmarks-profile.md)');
  const block = /<!-- container figures -->[\s\S]*<!-- \/container figures -->/;
  expect(block.exec(rewritten)?.[0]).toBe(block.exec(recorded)?.[0]);
});
