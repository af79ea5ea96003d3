#!/usr/bin/env node
// Regenerates generated/ from schema/*.fbs with flatc (Debian's flatbuffers-compiler, 2.0.8).
// flatc 2.0.8 writes extension-less relative imports, which Node's ESM loader cannot resolve once
// compiled, so each relative import gets the `.js` suffix that NodeNext resolution expects.
// Usage: node scripts/generate-flatbuffers.mjs [--out <dir>]   (default: generated/)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'generated');
const schemaDir = join(root, 'schema');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
for (const file of readdirSync(schemaDir)
  .filter((f) => f.endsWith('.fbs'))
  .sort()) {
  execFileSync('flatc', ['--ts', '--no-warnings', '-o', out, join(schemaDir, file)], { stdio: 'inherit' });
}

const withJsSuffix = (src) => src.replace(/from '(\.{1,2}\/[^']+?)(?<!\.js)'/g, "from '$1.js'");
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
for (const file of walk(out).filter((f) => f.endsWith('.ts'))) {
  writeFileSync(file, withJsSuffix(readFileSync(file, 'utf8')));
}
