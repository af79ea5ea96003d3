// KEYCLOAK_SOURCES: the catch-up's sources, validated at start-up like every variable; a problem
// names the variable, the entry and the field, never the secret.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

const base = { AUTH_SECRET: 'a-secret-of-16-chars' };
const entry = { baseUrl: 'https://kc.example', realm: 'acme', clientId: 'kc-event-relay', clientSecret: 'client-secret-value' };
const sources = (list: unknown[]) => loadConfig({ ...base, KEYCLOAK_SOURCES: JSON.stringify(list) }).KEYCLOAK_SOURCES;
const dir = mkdtempSync(join(tmpdir(), 'kcr-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(list: unknown[] | string): string {
  try {
    loadConfig({ ...base, KEYCLOAK_SOURCES: typeof list === 'string' ? list : JSON.stringify(list) });
  } catch (err) {
    expect((err as { code: string }).code).toBe('KCR_ERR_CONFIG');
    return (err as Error).message;
  }
  return '';
}

it('is empty when unset: no catch-up', () => {
  expect(loadConfig(base).KEYCLOAK_SOURCES).toEqual([]);
});

it('fills the defaults: named after its realm, every minute, both lists, pages of 100, from DEDUP_WINDOW ago', () => {
  expect(sources([{ ...entry, baseUrl: 'https://kc.example/auth/' }])).toEqual([
    {
      name: 'acme',
      baseUrl: 'https://kc.example/auth',
      realm: 'acme',
      clientId: 'kc-event-relay',
      clientSecret: 'client-secret-value',
      intervalMs: 60_000,
      userEvents: true,
      adminEvents: true,
      since: null,
      pageSize: 100,
      maxPerRun: 10_000,
      overlapMs: 10_000,
    },
  ]);
});

it('reads its own settings: interval, lists, since (ISO or epoch ms), page size, cap, overlap, name', () => {
  const [source] = sources([
    {
      ...entry,
      name: 'acme-prod',
      interval: '30s',
      adminEvents: false,
      since: '2026-01-31T00:00:00Z',
      pageSize: 500,
      maxPerRun: 2_000,
      overlap: '1m',
    },
  ]);
  expect(source).toMatchObject({
    name: 'acme-prod',
    intervalMs: 30_000,
    userEvents: true,
    adminEvents: false,
    since: Date.parse('2026-01-31T00:00:00Z'),
    pageSize: 500,
    maxPerRun: 2_000,
    overlapMs: 60_000,
  });
  expect(sources([{ ...entry, since: 1_800_000_000_000 }])[0]?.since).toBe(1_800_000_000_000);
});

it('reads the client secret from clientSecretFile (*_FILE style), and the whole list from KEYCLOAK_SOURCES_FILE', () => {
  const secretFile = join(dir, 'client-secret');
  writeFileSync(secretFile, 'from-a-file-secret\n');
  const { clientSecret: _, ...withoutSecret } = entry;
  expect(sources([{ ...withoutSecret, clientSecretFile: secretFile }])[0]?.clientSecret).toBe('from-a-file-secret');
  const listFile = join(dir, 'sources.json');
  writeFileSync(listFile, JSON.stringify([entry]));
  expect(loadConfig({ ...base, KEYCLOAK_SOURCES_FILE: listFile }).KEYCLOAK_SOURCES[0]?.realm).toBe('acme');
  expect(problems([{ ...withoutSecret, clientSecretFile: join(dir, 'missing') }])).toMatch(
    /KEYCLOAK_SOURCES\.0\.clientSecretFile: cannot read .*missing \(ENOENT\)/,
  );
});

it('names the variable, the entry and the field of each problem, never the secret', () => {
  const message = problems([
    entry,
    { ...entry, realm: 'other', baseUrl: 'kc.example', clientSecret: 'secret-never-shown-1' },
    { realm: 'third', clientId: '', baseUrl: 'https://kc.example' },
    { ...entry, realm: 'fourth', interval: '7x', pageSize: 0, color: 'red' },
  ]);
  expect(message).toMatch(/KEYCLOAK_SOURCES\.1\.baseUrl: baseUrl must be an http\(s\) URL/);
  expect(message).toMatch(/KEYCLOAK_SOURCES\.2\.clientId: clientId is required/);
  expect(message).toMatch(/KEYCLOAK_SOURCES\.3/);
  expect(message).not.toContain('secret-never-shown-1');
  expect(message).not.toContain('client-secret-value');
  expect(problems('{"baseUrl":"x"}')).toMatch(/KEYCLOAK_SOURCES: /);
  expect(problems('[not json')).toMatch(/KEYCLOAK_SOURCES: KEYCLOAK_SOURCES must be a JSON array/);
  expect(problems([{ ...entry, interval: '7x' }])).toMatch(/KEYCLOAK_SOURCES\.0\.interval: interval must be a duration/);
});

it('asks for exactly one of clientSecret and clientSecretFile, and for at least one list', () => {
  const { clientSecret: _, ...withoutSecret } = entry;
  expect(problems([withoutSecret])).toMatch(/KEYCLOAK_SOURCES\.0\.clientSecret: give clientSecret or clientSecretFile/);
  expect(problems([{ ...entry, clientSecretFile: '/x' }])).toMatch(
    /KEYCLOAK_SOURCES\.0\.clientSecret: give clientSecret or clientSecretFile/,
  );
  expect(problems([{ ...entry, userEvents: false, adminEvents: false }])).toMatch(/KEYCLOAK_SOURCES\.0\.userEvents: .*nothing to read/);
});

it('allows plain http only to a loopback host, or with "insecure": true, as TOKEN_ISSUERS does; never credentials in the URL', () => {
  expect(problems([{ ...entry, baseUrl: 'http://keycloak:8080' }])).toMatch(
    /KEYCLOAK_SOURCES\.0\.baseUrl: baseUrl over plain http: is refused/,
  );
  expect(sources([{ ...entry, baseUrl: 'http://keycloak:8080', insecure: true }])[0]?.baseUrl).toBe('http://keycloak:8080');
  for (const loopback of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
    expect(sources([{ ...entry, baseUrl: loopback }])[0]?.baseUrl).toBe(loopback);
  }
  expect(problems([{ ...entry, baseUrl: 'https://admin:pw@kc.example' }])).toMatch(
    /KEYCLOAK_SOURCES\.0\.baseUrl: baseUrl must not hold a user or password/,
  );
  expect(problems([{ ...entry, baseUrl: 'https://kc.example/?realm=x' }])).toMatch(
    /KEYCLOAK_SOURCES\.0\.baseUrl: baseUrl must be an http\(s\) URL without query/,
  );
});

it('refuses two sources of one name, one realm read twice, and a realm name that cannot name a source', () => {
  expect(problems([entry, { ...entry, baseUrl: 'https://other.example' }])).toMatch(/KEYCLOAK_SOURCES\.1\.name: two sources named "acme"/);
  expect(problems([entry, { ...entry, name: 'again' }])).toMatch(
    /KEYCLOAK_SOURCES\.1\.realm: realm "acme" of https:\/\/kc.example is listed twice/,
  );
  expect(problems([{ ...entry, realm: 'my realm' }])).toMatch(/KEYCLOAK_SOURCES\.0\.name: .*give the entry a "name"/);
  expect(sources([{ ...entry, realm: 'my realm', name: 'my-realm' }])[0]?.name).toBe('my-realm');
  expect(problems([{ ...entry, since: 'yesterday' }])).toMatch(/KEYCLOAK_SOURCES\.0\.since: since must be an ISO 8601 time/);
});
