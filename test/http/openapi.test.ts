// GET /openapi.json against the routes the relay really serves and docs/http-api.md's route table: a
// valid OpenAPI 3 document, an operation with request and answer schemas for every route, and the
// same routes (with the same authentication) as that table lists. Schema failures answer coded errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Fastify from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerOpenApi } from '../../src/http/openapi.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';

type Document = OpenAPIV3_1.Document;
type Operation = OpenAPIV3_1.OperationObject;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const WEBHOOK_SECRET = `whsec_${Buffer.from('a-32-byte-secret-for-hmac-sha256').toString('base64')}`;

let dataDir: string;
let relay: Relay;
let doc: Document;

// Every route on: the embedded store (GET /logouts streams only without Redis), every token, a
// back-channel issuer and a destination (neither is contacted: no token nor event is sent).
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kcr-openapi-'));
  relay = await startRelay(
    {
      DATA_DIR: dataDir,
      LOGOUT_STREAM_TOKEN: 'logout-stream-token-0123',
      METRICS_TOKEN: 'metrics-token-0123456789',
      BACKCHANNEL_ISSUERS: JSON.stringify([{ issuer: 'http://127.0.0.1:9/realms/shop', audiences: ['web'] }]),
      DESTINATIONS: JSON.stringify([{ name: 'audit', url: 'http://127.0.0.1:9/hook', secret: WEBHOOK_SECRET }]),
    },
    { logout: true },
  );
  const res = await request(`${relay.url}/openapi.json`);
  expect(res.statusCode).toBe(200);
  doc = (await res.body.json()) as Document;
});
afterAll(async () => {
  await relay.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** "/admin/events/:uid" as OpenAPI writes it: "/admin/events/{uid}". */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Every "METHOD /path" the app serves, read from fastify's route tree (printRoutes). HEAD routes are
 * left out: fastify adds one per GET, answering as the GET does without a body.
 */
function servedRoutes(tree: string): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of tree.split('\n')) {
    // "│   ├── segment (GET, HEAD)": four columns per level before the branch.
    const at = line.search(/[├└]── /);
    if (at < 0) continue;
    const depth = at / 4;
    const match = /^(.*?)(?: \(([^)]*)\))?$/.exec(line.slice(at + 4))!;
    const path = (prefixes[depth - 1] ?? '') + match[1]!;
    prefixes[depth] = path;
    prefixes.length = depth + 1;
    for (const method of (match[2] ?? '').split(',').map((m) => m.trim())) {
      if (method && method !== 'HEAD') routes.push(`${method} ${openApiPath(path)}`);
    }
  }
  return routes.sort();
}

function operations(document: Document): Map<string, Operation> {
  const found = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (op) found.set(`${method.toUpperCase()} ${path}`, op);
    }
  }
  return found;
}

type Response = OpenAPIV3_1.ResponseObject;
const schemaOf = (r: Response): OpenAPIV3_1.SchemaObject | undefined => Object.values(r.content ?? {})[0]?.schema;

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('has an operation for every route the relay serves, and nothing else', () => {
    const served = servedRoutes(relay.app.printRoutes({ commonPrefix: false }));
    // Sanity: the tree was read (every kind of route is on in this relay).
    expect(served).toEqual(
      expect.arrayContaining(['POST /events', 'GET /admin/events/{uid}', 'GET /logouts', 'POST /backchannel-logout', 'GET /openapi.json']),
    );
    expect([...operations(doc).keys()].sort()).toEqual(served);
  });

  it('declares request and answer schemas for every operation, and the error shape for every error', () => {
    // Routes that take no body although they are POSTs.
    const bodiless = new Set(['POST /admin/destinations/{name}/redrive']);
    // Answers >= 400 that are not errors: readiness says "not ready" with the store's state.
    const notErrors = new Set(['GET /readyz 503']);
    for (const [key, op] of operations(doc)) {
      const path = key.split(' ')[1]!;
      const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []) as OpenAPIV3_1.ParameterObject[];
      expect(
        declared.filter((p) => p.in === 'path' && p.schema).map((p) => p.name),
        key,
      ).toEqual(pathParams);
      if (key.startsWith('POST') && !bodiless.has(key)) {
        const content = (op.requestBody as OpenAPIV3_1.RequestBodyObject | undefined)?.content ?? {};
        expect(Object.keys(content).length, `${key} request body`).toBeGreaterThan(0);
        for (const media of Object.values(content)) expect(media.schema, `${key} request body schema`).toBeDefined();
      }
      const responses = Object.entries(op.responses ?? {}) as Array<[string, Response]>;
      expect(
        responses.some(([status]) => status.startsWith('2')),
        `${key} has a 2xx`,
      ).toBe(true);
      for (const [status, response] of responses) {
        // Body-less answers (the back-channel's 200, the SSF push's 202) are the only ones without content.
        if (`${key} ${status}` === 'POST /backchannel-logout 200' || `${key} ${status}` === 'POST /ssf/push 202') continue;
        const schema = schemaOf(response);
        expect(schema, `${key} ${status} schema`).toBeDefined();
        if (Number(status) >= 400 && !notErrors.has(`${key} ${status}`)) {
          const errorFields =
            key === 'POST /backchannel-logout'
              ? ['error', 'error_description', 'code']
              : `${key} ${status}` === 'POST /ssf/push 400'
                ? ['err', 'description', 'code']
                : ['error'];
          expect(schema!.required, `${key} ${status} error shape`).toEqual(errorFields);
        }
      }
    }
  });

  it('declares the security of every operation behind a credential', () => {
    const ops = operations(doc);
    const schemes = (key: string) => (ops.get(key)?.security ?? []).flatMap((s) => Object.keys(s));
    expect(schemes('POST /events')).toEqual(['emitterBasic']);
    expect(schemes('GET /admin/summary')).toEqual(['adminToken']);
    expect(schemes('GET /logouts/revoked')).toEqual(['logoutToken']);
    expect(schemes('GET /metrics')).toEqual(['metricsToken']);
    expect(schemes('GET /healthz')).toEqual([]);
    expect(schemes('POST /webhooks/phasetwo')).toEqual(['phasetwoSignature', 'phasetwoBearer']);
    expect(Object.keys(doc.components?.securitySchemes ?? {}).sort()).toEqual([
      'adminToken',
      'emitterBasic',
      'logoutToken',
      'metricsToken',
      'phasetwoBearer',
      'phasetwoSignature',
    ]);
  });
});

describe('the route table of docs/http-api.md', () => {
  /** Rows of the table under "## Routes": `| METHOD | \`path\` | auth | what |`. */
  function tableRoutes(): Map<string, string> {
    const doc = readFileSync('docs/http-api.md', 'utf8');
    const section = doc.slice(doc.indexOf('\n## Routes\n'), doc.indexOf('\n## ', doc.indexOf('\n## Routes\n') + 1));
    const rows = new Map<string, string>();
    for (const m of section.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| ([^|]+) \|/gm))
      rows.set(`${m[1]} ${m[2]}`, m[3]!.trim());
    return rows;
  }

  // The words a route table's auth cell uses for each security scheme of the document.
  const AUTH_WORDS: Record<string, string> = {
    emitterBasic: 'Basic',
    adminToken: 'ADMIN_TOKEN',
    logoutToken: 'LOGOUT_STREAM_TOKEN',
    metricsToken: 'METRICS_TOKEN',
    phasetwoSignature: 'PHASETWO_SECRETS',
    phasetwoBearer: 'TOKEN_ISSUERS',
  };

  it('lists exactly the operations of the document', () => {
    const rows = tableRoutes();
    expect(rows.size).toBeGreaterThan(20);
    expect([...rows.keys()].sort()).toEqual([...operations(doc).keys()].sort());
  });

  it('names the authentication the document declares', () => {
    for (const [key, cell] of tableRoutes()) {
      const schemes = (operations(doc).get(key)?.security ?? []).flatMap((s) => Object.keys(s));
      if (schemes.length === 0) expect(cell, key).toMatch(/^none\b/);
      for (const scheme of schemes) expect(cell, key).toContain(AUTH_WORDS[scheme]);
    }
  });
});

describe('the schema guard', () => {
  it('refuses a route declared without a response schema, or without a schema of its path parameters', async () => {
    const app = Fastify();
    registerOpenApi(app);
    expect(() => app.get('/bare', async () => 'x')).toThrow(/GET \/bare declares no response schema/);
    expect(() => app.get('/things/:id', { schema: { response: { 200: z.string() } } }, async () => 'x')).toThrow(
      /declares no params schema/,
    );
    await app.close();
  });
});

describe('schema failures answer coded errors', () => {
  const admin = async (path: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}) => {
    const res = await request(`${relay.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    return { status: res.statusCode, json: (await res.body.json()) as { error: { code: string; message: string } } };
  };

  it("a route's own code: a uid out of the signed 64-bit range, a replay bound that is neither uid nor time", async () => {
    const big = await admin('/admin/events/9223372036854775808');
    expect(big).toMatchObject({ status: 400, json: { error: { code: 'KCR_ERR_UID_PARAM' } } });
    expect(big.json.error.message).toContain('params.uid');
    const zeros = await admin('/admin/events/007');
    expect(zeros.json.error.code).toBe('KCR_ERR_UID_PARAM');
    expect((await admin('/admin/events/-9223372036854775808')).json.error.code).toBe('KCR_ERR_EVENT_NOT_FOUND');

    const bad = await admin('/admin/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ destination: 'audit', from: '99999999999999999999' }),
    });
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 'KCR_ERR_REPLAY_REQUEST' } } });
    expect(bad.json.error.message).toContain('body.from');
  });

  it('KCR_ERR_REQUEST with the status fastify chose, never its default body', async () => {
    const repeated = await admin('/admin/quarantine?limit=1&limit=2');
    expect(repeated).toMatchObject({ status: 400, json: { error: { code: 'KCR_ERR_REQUEST' } } });
    expect(repeated.json.error.message).toContain('querystring.limit');
    const unsupported = await admin('/admin/replay', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'audit' });
    expect(unsupported).toMatchObject({ status: 415, json: { error: { code: 'KCR_ERR_REQUEST' } } });
    const invalidType = await admin('/admin/replay', { method: 'POST', headers: { 'content-type': 'not a media type' }, body: '{}' });
    expect(invalidType).toMatchObject({ status: 415, json: { error: { code: 'KCR_ERR_REQUEST' } } });
  });

  it('clamps limit rather than refusing it', async () => {
    for (const limit of ['0', '-5', '100000', 'many', '2.5']) {
      expect((await admin(`/admin/quarantine?limit=${limit}`)).status, limit).toBe(200);
    }
  });
});
