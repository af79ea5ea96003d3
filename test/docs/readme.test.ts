// The docs document every error code (with its meaning) and every configuration variable: the full
// tables live in docs/http-api.md and docs/configuration.md; the README keeps a summary that links
// to them and names only variables the full table has.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const README = readFileSync('README.md', 'utf8');
const ERRORS = readFileSync('docs/http-api.md', 'utf8');
const CONFIGURATION = readFileSync('docs/configuration.md', 'utf8');

/** The text of a markdown section, from its `## ` heading to the next one. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

it('has a row in the error table for every code in src/errors.ts', () => {
  const codes = [...readFileSync('src/errors.ts', 'utf8').matchAll(/define\(\s*'(KCR_ERR_\w+)'/g)].map((m) => m[1]!);
  expect(codes.length).toBeGreaterThan(25);
  const table = section(ERRORS, 'Error codes');
  expect(codes.filter((code) => !new RegExp(`^\\| \`${code}\` \\| [^|]+ \\| \\S`, 'm').test(table))).toEqual([]);
});

it('has a row in the configuration table for every variable of src/config/env.ts', () => {
  const env = readFileSync('src/config/env.ts', 'utf8');
  const schema = env.slice(env.indexOf('z\n  .object({'), env.indexOf('export type Config'));
  const names = [...schema.matchAll(/^ {4}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!);
  expect(names.length).toBeGreaterThan(20);
  const table = CONFIGURATION.split('\n').filter((line) => line.startsWith('| `'));
  expect(names.filter((name) => !table.some((row) => row.split(' | ')[0]!.includes(`\`${name}\``)))).toEqual([]);
});

it("the README's configuration summary names only variables of the full table, and links to it", () => {
  const summary = section(README, 'Configuration');
  const rows = summary.split('\n').filter((line) => line.startsWith('| `'));
  expect(rows.length).toBeGreaterThan(5);
  const named = rows.flatMap((row) => [...row.split(' | ')[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  expect(named.filter((name) => !CONFIGURATION.includes(`| \`${name}\``) && !CONFIGURATION.includes(`, \`${name}\``))).toEqual([]);
  expect(summary).toContain('](docs/configuration.md)');
  expect(section(README, 'Answers of `POST /events`')).toContain('](docs/http-api.md#error-codes)');
});

it('the README opens with two commands: start the relay without Redis, and run the whole test suite', () => {
  const first = /^# kc-event-relay\n\n```sh\n([^\n]+)\n([^\n]+)\n```\n/.exec(README);
  expect(first, 'a sh block of exactly two lines right under the title').not.toBeNull();
  const [start, test] = [first![1]!, first![2]!];
  expect(start).toMatch(/\bnpm start\b/);
  expect(start).not.toMatch(/REDIS_URL|REDIS_CLUSTER_NODES/);
  // .ci/run runs the README's test command; both must stay `npm test`.
  expect(test).toMatch(/&& npm test\s+#/);
  expect(readFileSync('.ci/run', 'utf8')).toMatch(/^npm test$/m);
});

it('the README stays a front door: under 300 lines', () => {
  expect(README.split('\n').length).toBeLessThan(300);
});
