// deploy/kubernetes/: every document valid against the Kubernetes API schema (kubernetes-models'
// validators, generated from the API's OpenAPI document; they check types and required fields, not
// unknown ones), and what operators rely on, field by field: probes on /healthz and /readyz, a
// read-only root file system as the image's non-root user, resources, a grace period above what a
// stop takes, distinct RELAY_WORKER_IDs, a Service and a PodDisruptionBudget that select the pods.
import { readdirSync, readFileSync } from 'node:fs';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.js';
import { loadConfig } from '../../src/config/env.js';

const DIR = 'deploy/kubernetes';
const docs = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(`${DIR}/${file}`, 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return { file, value: doc.toJS() as { kind: string; apiVersion: string } };
    }),
  );
const of = <T>(kind: string): T[] => docs.filter((d) => d.value.kind === kind).map((d) => d.value as T);
const deployments = of<IDeployment>('Deployment');
const services = of<IService>('Service');
const budgets = of<IPodDisruptionBudget>('PodDisruptionBudget');
const env = (d: IDeployment): Record<string, string | undefined> =>
  Object.fromEntries((d.spec!.template.spec!.containers[0]!.env ?? []).map((e) => [e.name, e.value]));

it('holds Deployments, a Service and a PodDisruptionBudget, each valid against the Kubernetes schema', () => {
  expect(docs.map((d) => d.value.kind).sort()).toEqual(['Deployment', 'Deployment', 'PodDisruptionBudget', 'Service']);
  for (const d of deployments) new Deployment(d).validate();
  for (const s of services) new Service(s).validate();
  for (const b of budgets) new PodDisruptionBudget(b).validate();
});

it('the schema check is a real one: a wrong type is refused', () => {
  const broken = structuredClone(deployments[0]!);
  (broken.spec!.template.spec!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'http';
  expect(() => new Deployment(broken).validate()).toThrow(/containerPort must be integer/);
});

describe.each(deployments.map((d) => [d.metadata!.name!, d] as const))('Deployment %s', (_name, d) => {
  const pod = d.spec!.template.spec!;
  const relay = pod.containers[0]!;

  it('probes: readiness on /readyz, liveness on /healthz, on the container port 8080', () => {
    expect(relay.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(relay.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(relay.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it("runs as the image's non-root user on a read-only root file system, /tmp in memory", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 });
    expect(relay.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const tmp = relay.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
    expect(pod.volumes!.find((v) => v.name === tmp.name)?.emptyDir).toMatchObject({ medium: 'Memory' });
  });

  it('requests CPU and memory and limits memory', () => {
    expect(relay.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(relay.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('terminationGracePeriodSeconds is above the preStop pause plus SHUTDOWN_TIMEOUT', () => {
    const shutdownMs = parseDuration(env(d).SHUTDOWN_TIMEOUT!)!;
    const pause = relay.lifecycle?.preStop?.exec?.command;
    expect(pause?.[0]).toBe('sleep');
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(Number(pause![1]) * 1000 + shutdownMs);
  });

  it('its configuration loads: secrets from files, Redis as the store', () => {
    const vars = env(d);
    // Values from Secrets are the cluster's; stand-ins of the right form show the rest is accepted.
    const plain = Object.fromEntries(Object.entries(vars).filter(([k, v]) => !k.endsWith('_FILE') && v !== undefined)) as Record<
      string,
      string
    >;
    const config = loadConfig({ ...plain, REDIS_URL: 'redis://redis:6379', AUTH_SECRET: 'x'.repeat(32), ADMIN_TOKEN: 'y'.repeat(32) });
    expect(config.REDIS_URL).toBe('redis://redis:6379');
    expect(vars.AUTH_SECRET_FILE).toMatch(/^\/run\/secrets\/kc-event-relay\//);
    expect(vars.ADMIN_TOKEN_FILE).toMatch(/^\/run\/secrets\/kc-event-relay\//);
    expect(relay.volumeMounts!.find((m) => m.name === 'secrets')?.mountPath).toBe('/run/secrets/kc-event-relay');
  });

  it('stops its pod before starting the next (Recreate): a RELAY_WORKER_ID is never used by two pods at once', () => {
    expect(d.spec!.replicas).toBe(1);
    expect(d.spec!.strategy?.type).toBe('Recreate');
    expect(d.spec!.selector.matchLabels).toEqual(d.spec!.template.metadata!.labels);
  });
});

it('each Deployment has its own RELAY_WORKER_ID and is otherwise the same as the first', () => {
  const ids = deployments.map((d) => env(d).RELAY_WORKER_ID);
  expect(new Set(ids).size).toBe(deployments.length);
  const [first, ...rest] = deployments.map((d) =>
    JSON.stringify(d)
      .replaceAll(d.metadata!.name!, '<name>')
      .replace(`"name":"RELAY_WORKER_ID","value":"${env(d).RELAY_WORKER_ID}"`, '<id>'),
  );
  for (const other of rest) expect(other).toBe(first);
});

it('the Service and the PodDisruptionBudget select the pods of every Deployment', () => {
  const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  const [service] = services;
  const [budget] = budgets;
  expect(service!.spec!.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http' }]);
  expect(budget!.spec!.minAvailable).toBe(1);
  for (const d of deployments) {
    const labels = d.spec!.template.metadata!.labels!;
    expect(matches(service!.spec!.selector!, labels)).toBe(true);
    expect(matches(budget!.spec!.selector!.matchLabels!, labels)).toBe(true);
  }
});
