// Every relative link in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md resolves: to a file
// that exists and, with a #fragment, to a heading of that markdown file (GitHub's anchors). Also the
// alert rules' runbook links, which operators follow from an alert.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { expect, it } from 'vitest';

const DOCS = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor of each heading: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of withoutCode.matchAll(/^#{1,6} (.+?)\s*#*$/gm)) {
    const base = m[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The targets of a document's inline links and images, outside code blocks and code spans. */
function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1]!);
}

function broken(from: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: …: not this repository's
  const [path, fragment] = target.split('#') as [string, string | undefined];
  const file = path === '' ? from : normalize(join(dirname(from), decodeURIComponent(path)));
  if (file.startsWith('..')) return `${from}: ${target} leaves the repository`;
  if (!existsSync(file)) return `${from}: ${target} (no file ${file})`;
  if (fragment === undefined) return undefined;
  if (!file.endsWith('.md')) return `${from}: ${target} (a fragment into a file that is not markdown)`;
  return anchors(readFileSync(file, 'utf8')).has(fragment) ? undefined : `${from}: ${target} (no heading #${fragment} in ${file})`;
}

it('every relative link of the docs resolves to a file and a heading', () => {
  const targets = DOCS.flatMap((doc) => links(readFileSync(doc, 'utf8')).map((target) => [doc, target] as const));
  expect(targets.length).toBeGreaterThan(40);
  expect(targets.map(([doc, target]) => broken(doc, target)).filter(Boolean)).toEqual([]);
});

it('the checker sees a broken file, a broken anchor and a link leaving the repository', () => {
  expect(broken('README.md', 'docs/no-such-file.md')).toMatch(/no file/);
  expect(broken('README.md', 'docs/operations.md#no-such-heading')).toMatch(/no heading/);
  expect(broken('docs/operations.md', '../../shared/x.md')).toMatch(/leaves the repository/);
  expect(broken('docs/operations.md', '../README.md#configuration')).toBeUndefined();
  expect(anchors("## Catch-up from Keycloak's own event store\n## Answers of `POST /events`\n## A\n## A\n")).toEqual(
    new Set(['catch-up-from-keycloaks-own-event-store', 'answers-of-post-events', 'a', 'a-1']),
  );
});

it("every alert's runbook link resolves to a heading of docs/operations.md", () => {
  for (const rules of ['deploy/prometheus/kc-event-relay.rules.yml', 'deploy/prometheus/kc-event-relay.rules.test.yml']) {
    const runbooks = [...readFileSync(rules, 'utf8').matchAll(/runbook: "([^"]+)"/g)].map((m) => m[1]!);
    expect(runbooks.length, rules).toBeGreaterThan(5);
    expect(runbooks.map((r) => broken('README.md', r)).filter(Boolean), rules).toEqual([]);
  }
});
