// Requests captured from the cloudtrust event-emitter's own code (four builds, both formats), read
// in place from the shared fixtures beside the repository (never copied into it), and the settings
// the README's operator table gives for each build.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMA_PROFILES, type SchemaProfile } from '../../src/event/canonical.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Where the captures are: KCR_REAL_EMITTER_FIXTURES, else ../shared/fixtures/real-emitter beside the checkout. */
export const CAPTURES_DIR = process.env.KCR_REAL_EMITTER_FIXTURES ?? resolve(ROOT, '..', 'shared', 'fixtures', 'real-emitter');
export const capturesPresent = existsSync(CAPTURES_DIR);
export const SKIP_REASON = `real emitter captures not found at ${CAPTURES_DIR} (set KCR_REAL_EMITTER_FIXTURES)`;

type EnumField = 'type' | 'operationType' | 'resourceType';

export interface Capture {
  file: string;
  build: string;
  format: 'JSON' | 'FLATBUFFER';
  request: { method: string; path: string; headers: Record<string, string> };
  body: Buffer;
  status: number;
  expected: {
    kind: 'event' | 'admin';
    uid: string;
    time: number | null;
    type: string | null;
    operationType: string | null;
    resourceType: string | null;
    realmId: string | null;
    clientId: string | null;
    userId: string | null;
    sessionId: string | null;
    ipAddress: string | null;
    error: string | null;
    details: Record<string, string | null> | null;
    resourcePath: string | null;
    representation: string | null;
    authDetails: Partial<Record<'realmId' | 'clientId' | 'userId' | 'username' | 'ipAddress', string | null>> | null;
    enumBytes: Partial<Record<EnumField, number>> | null;
    schemaNamesOfBytes: Partial<Record<EnumField, string>> | null;
  };
}

export function loadCaptures(): Capture[] {
  if (!capturesPresent) return [];
  return readdirSync(CAPTURES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((dir) =>
      readdirSync(join(CAPTURES_DIR, dir.name))
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => {
          const raw = JSON.parse(readFileSync(join(CAPTURES_DIR, dir.name, f), 'utf8'));
          return { ...raw, file: `${dir.name}/${f}`, body: Buffer.from(raw.bodyBase64, 'base64') } as Capture;
        }),
    );
}

export interface OperatorSettings {
  FLATBUFFERS_SCHEMA: SchemaProfile;
  KEYCLOAK_VERSION: string;
}

/**
 * The row of the README's operator table ("Pointing Keycloak at it") naming a build: its first cell
 * lists the build (e.g. `8.0.1-1.3`), then `FLATBUFFERS_SCHEMA` and `KEYCLOAK_VERSION` in backticks.
 */
export function operatorSettings(build: string): OperatorSettings {
  const id = build.replace(/^emitter-/, '');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[1]!.split(/[^\w.-]+/).includes(id)) continue;
    const schema = /`([^`]+)`/.exec(cells[2]!)?.[1];
    const version = /`([^`]+)`/.exec(cells[3]!)?.[1];
    if (schema && version && (SCHEMA_PROFILES as readonly string[]).includes(schema)) {
      return { FLATBUFFERS_SCHEMA: schema as SchemaProfile, KEYCLOAK_VERSION: version };
    }
  }
  throw new Error(`README.md has no operator-table row for emitter build ${id}`);
}

/** The Basic-auth username a capture was sent with. */
export function usernameOf(c: Capture): string {
  const value = c.request.headers.Authorization ?? '';
  return Buffer.from(value.replace(/^Basic /, ''), 'base64')
    .toString('utf8')
    .split(':')[0]!;
}

/** What the relay can store for an enum field: the constant Keycloak meant, or UNKNOWN where the byte could not carry it. */
export function storableName(c: Capture, field: EnumField): string | null {
  return c.expected.schemaNamesOfBytes?.[field] === 'UNKNOWN' ? 'UNKNOWN' : c.expected[field];
}
