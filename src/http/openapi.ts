// The HTTP API described by its own routes: each declares zod schemas for what it reads and answers
// (fastify-type-provider-zod validates with them), @fastify/swagger collects them, GET /openapi.json
// serves the document. A route without a response schema is refused when it is declared.
import { readFileSync } from 'node:fs';
import fastifySwagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { createJsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

export const OPENAPI_PATH = '/openapi.json';
const OPENAPI_VERSION = '3.1.0';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * A body the route reads as raw bytes and decodes itself (ingest, back-channel logout): documented
     * per content type, never validated nor parsed by the type provider.
     */
    rawBody?: { [contentType: string]: z.ZodType };
  }
}

export const SECURITY_SCHEMES = {
  emitterBasic: { type: 'http', scheme: 'basic', description: 'The emitter: any node name (or one of AUTH_USERNAMES) and AUTH_SECRET' },
  adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (the /admin routes exist only when it is set)' },
  logoutToken: { type: 'http', scheme: 'bearer', description: 'LOGOUT_STREAM_TOKEN (the /logouts routes exist only when it is set)' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN (GET /metrics is open while it is unset)' },
  phasetwoSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Keycloak-Signature',
    description: 'Lowercase hex HMAC of the body under one of PHASETWO_SECRETS (a signature, not a key: the body is what it signs)',
  },
  phasetwoBearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A JWT of an issuer of TOKEN_ISSUERS, bound to the body',
  },
} as const;

export type SecurityScheme = keyof typeof SECURITY_SCHEMES;
export const securedBy = (scheme: SecurityScheme): Array<Record<string, string[]>> => [{ [scheme]: [] }];

/** The package's version, from package.json two or three levels up (src/http/ or dist/src/http/). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kc-event-relay' && pkg.version) return pkg.version;
    } catch {
      // Not at this level: try the next one.
    }
  }
  return '0.0.0';
}

const zodTransform = createJsonSchemaTransform({ skipList: [] });

/** The zod transform, plus the documentation of raw bodies. */
const transform: SwaggerTransform = (document) => {
  const { rawBody, ...schema } = document.schema ?? {};
  const transformed = zodTransform({ ...document, schema });
  if (!rawBody) return transformed;
  const content = Object.fromEntries(
    Object.entries(rawBody).map(([type, body]) => [type, { schema: z.toJSONSchema(body, { target: 'draft-2020-12', io: 'input' }) }]),
  );
  return { ...transformed, schema: { ...transformed.schema, body: { content } } };
};

/** Zod validation and serialization for every route, the document's collector, and the schema guard. */
export function registerOpenApi(app: FastifyInstance): void {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onRoute', requireSchemas);
  void app.register(fastifySwagger, {
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: 'kc-event-relay',
        version: packageVersion(),
        description:
          'Receives Keycloak event-emitter posts, deduplicates them by snowflake uid, buffers them durably and relays them downstream. ' +
          'Every error answer is {"error":{"code":"KCR_ERR_…","message":"…"}} (README, "Error codes"), but the back-channel logout\'s.',
      },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform,
  });
}

/** GET /openapi.json: the document, built from the routes' schemas once the app is ready. */
export function openApiRoute(app: FastifyInstance): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    OPENAPI_PATH,
    {
      schema: {
        summary: 'This document (OpenAPI 3.1)',
        tags: ['meta'],
        response: {
          200: z
            .looseObject({
              openapi: z.string(),
              info: z.looseObject({ title: z.string(), version: z.string() }),
              paths: z.record(z.string(), z.unknown()),
            })
            .describe('The OpenAPI document of this relay, as configured (routes that are off are absent)'),
        },
      },
    },
    async () => app.swagger() as unknown as { openapi: string; info: { title: string; version: string }; paths: Record<string, unknown> },
  );
}

/** Every route answers with declared schemas, and reads its path parameters through one. */
function requireSchemas(route: RouteOptions): void {
  const where = `${String(route.method)} ${route.url}`;
  if (!route.schema?.response) throw new Error(`${where} declares no response schema (src/http/openapi.ts)`);
  if (route.url.includes(':') && !route.schema.params) throw new Error(`${where} declares no params schema (src/http/openapi.ts)`);
}
