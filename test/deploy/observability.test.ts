// The dashboard and the alert rules in deploy/ read metrics a relay really exposes (a rename breaks
// this test, not a dashboard in production), and every alert's runbook is a section of docs/operations.md.
// promtool checks the rules' syntax and behaviour in .ci/run.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { startRelay, type Relay } from '../support/relay.js';
import { Sink } from '../support/sink.js';

const DASHBOARD = 'deploy/grafana/kc-event-relay.dashboard.json';
const RULES = 'deploy/prometheus/kc-event-relay.rules.yml';

let sink: Sink;
let relay: Relay;
let exposed: Set<string>;

beforeAll(async () => {
  sink = new Sink();
  await sink.start();
  // A catch-up source (its Keycloak never answers): its metrics exist only with one.
  const keycloak = `http://127.0.0.1:${await freePort()}`;
  relay = await startRelay(
    {
      REDIS_URL: inject('redisUrl'),
      DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url }]),
      KEYCLOAK_SOURCES: JSON.stringify([{ baseUrl: keycloak, realm: 'acme', clientId: 'relay', clientSecret: 'client-secret' }]),
    },
    { logout: true },
  );
  const text = await (await request(`${relay.url}/metrics`)).body.text();
  exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
});
afterAll(async () => {
  await relay.close();
  await sink.stop();
});

/** Metric families named in PromQL text (a histogram's series name its family). */
function familiesIn(promql: string): string[] {
  const names = [...promql.matchAll(/\b((?:kcr|process|nodejs)_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
  return [...new Set(names)];
}

function dashboardExprs(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

it('every metric the dashboard queries is exposed by the relay', () => {
  const used = familiesIn(dashboardExprs().join('\n'));
  expect(used.length).toBeGreaterThan(15);
  expect(used.filter((name) => !exposed.has(name))).toEqual([]);
});

it('every metric the alert rules use is exposed by the relay', () => {
  const exprs = [...readFileSync(RULES, 'utf8').matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);
  expect(exprs.length).toBeGreaterThanOrEqual(10);
  const used = familiesIn(exprs.join('\n'));
  expect(used.filter((name) => !exposed.has(name))).toEqual([]);
});

it('every alert has a runbook pointing to a section of docs/operations.md', () => {
  const rules = readFileSync(RULES, 'utf8');
  const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
  const runbooks = [...rules.matchAll(/runbook: "docs\/operations\.md#([a-z0-9-]+)"/g)].map((m) => m[1]!);
  expect(runbooks).toEqual(alerts.map((a) => a.toLowerCase()));
  // GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped.
  const anchors = new Set(
    [...readFileSync('docs/operations.md', 'utf8').matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  expect(runbooks.filter((r) => !anchors.has(r))).toEqual([]);
});
