// generated/ must be exactly what scripts/generate-flatbuffers.mjs makes of schema/*.fbs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GENERATED = join(ROOT, 'generated');
const hasFlatc = spawnSync('flatc', ['--version'], { stdio: 'ignore' }).status === 0;
const out = mkdtempSync(join(tmpdir(), 'kcr-generated-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
const filesUnder = (dir: string): string[] =>
  walk(dir)
    .map((path) => relative(dir, path))
    .sort();

it.skipIf(!hasFlatc)('generated/ is up to date with schema/ (skipped: flatc, Debian flatbuffers-compiler 2.0.8, is not on PATH)', () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'generate-flatbuffers.mjs'), '--out', out], { stdio: 'pipe' });
  const fresh = filesUnder(out);
  expect(filesUnder(GENERATED)).toEqual(fresh);
  for (const file of fresh) {
    expect(readFileSync(join(GENERATED, file)).equals(readFileSync(join(out, file))), `${file} differs: run npm run generate`).toBe(true);
  }
});
