// The README documents every error code (with its meaning) and every configuration variable.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const README = readFileSync('README.md', 'utf8');

it('has a row in the error table for every code in src/errors.ts', () => {
  const codes = [...readFileSync('src/errors.ts', 'utf8').matchAll(/define\(\s*'(KCR_ERR_\w+)'/g)].map((m) => m[1]!);
  expect(codes.length).toBeGreaterThan(25);
  expect(codes.filter((code) => !new RegExp(`^\\| \`${code}\` \\| [^|]+ \\| \\S`, 'm').test(README))).toEqual([]);
});

it('has a row in the configuration table for every variable of src/config/env.ts', () => {
  const env = readFileSync('src/config/env.ts', 'utf8');
  const schema = env.slice(env.indexOf('z\n  .object({'), env.indexOf('export type Config'));
  const names = [...schema.matchAll(/^ {4}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThan(20);
  expect(names.filter((name) => !README.includes(`\`${name}\``))).toEqual([]);
});
