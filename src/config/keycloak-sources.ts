// Catch-up sources (KEYCLOAK_SOURCES / KEYCLOAK_SOURCES_FILE): the Keycloak realms whose saved events
// the relay reads back from Keycloak's admin REST API (src/sources/keycloak/), a JSON array
// validated once. Each entry's problems are reported under KEYCLOAK_SOURCES.<index>.<field>.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { httpUrl, overPlainHttp } from '../backchannel/issuers.js';
import type { KeycloakSource } from '../sources/keycloak/source.js';
import { parseDuration } from './duration.js';

// One transform for numbers and text, so that a bad value gets this message rather than a union's "Invalid input".
const duration = (field: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === null || !Number.isSafeInteger(ms) || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: `${field} must be a duration such as 30s, 1m or 1h (or milliseconds)` });
      return z.NEVER;
    }
    return ms;
  });

const since = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'since must be an ISO 8601 time (2026-01-31T00:00:00Z) or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

const entry = z
  .object({
    // Keys a metrics label and the store's records: safe characters only.
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name: letters, digits, "_", "." or "-", at most 64')
      .optional(),
    baseUrl: httpUrl('baseUrl'),
    realm: z.string().min(1, 'realm is required'),
    clientId: z.string().min(1, 'clientId is required'),
    clientSecret: z.string().min(1).optional(),
    clientSecretFile: z.string().min(1).optional(),
    interval: duration('interval').default(60_000),
    userEvents: z.boolean().default(true),
    adminEvents: z.boolean().default(true),
    since: since.optional(),
    pageSize: z.number().int().min(1).max(1000).default(100),
    maxPerRun: z.number().int().min(1).default(10_000),
    overlap: duration('overlap').default(10_000),
    insecure: z.boolean().optional(),
  })
  .strict()
  .refine((e) => (e.clientSecret === undefined) !== (e.clientSecretFile === undefined), {
    message: 'give clientSecret or clientSecretFile (one of them)',
    path: ['clientSecret'],
  })
  // Shown on the status page and in logs as it is: no credentials there (they are clientId/clientSecret).
  .refine((e) => !URL.canParse(e.baseUrl) || (new URL(e.baseUrl).username === '' && new URL(e.baseUrl).password === ''), {
    message: 'baseUrl must not hold a user or password (the client authenticates with clientId and clientSecret)',
    path: ['baseUrl'],
  })
  .refine((e) => e.userEvents || e.adminEvents, {
    message: 'userEvents and adminEvents are both false: nothing to read',
    path: ['userEvents'],
  })
  .refine((e) => e.insecure === true || !overPlainHttp(e.baseUrl), {
    message:
      'baseUrl over plain http: is refused unless its host is loopback or the entry says "insecure": true (the client secret would cross the network in clear)',
    path: ['baseUrl'],
  })
  .refine((e) => e.name !== undefined || /^[A-Za-z0-9_.-]{1,64}$/.test(e.realm), {
    message: 'the realm name cannot name the source (letters, digits, "_", "." or "-", at most 64): give the entry a "name"',
    path: ['name'],
  })
  .transform((e, ctx): KeycloakSource => {
    let secret = e.clientSecret ?? '';
    if (e.clientSecretFile !== undefined) {
      try {
        secret = readFileSync(e.clientSecretFile, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read clientSecretFile ${e.clientSecretFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          path: ['clientSecretFile'],
        });
        return z.NEVER;
      }
    }
    return {
      name: e.name ?? e.realm,
      baseUrl: e.baseUrl.replace(/\/+$/, ''),
      realm: e.realm,
      clientId: e.clientId,
      clientSecret: secret,
      intervalMs: e.interval,
      userEvents: e.userEvents,
      adminEvents: e.adminEvents,
      since: e.since ?? null,
      pageSize: e.pageSize,
      maxPerRun: e.maxPerRun,
      overlapMs: e.overlap,
    };
  });

export const keycloakSourcesSchema = z.array(entry).superRefine((list, ctx) => {
  const names = new Set<string>();
  const realms = new Set<string>();
  for (const [i, source] of list.entries()) {
    if (names.has(source.name))
      ctx.addIssue({ code: 'custom', message: `two sources named "${source.name}": give each its own "name"`, path: [i, 'name'] });
    names.add(source.name);
    // Two pollers of one realm would read every event twice, for nothing.
    const realm = `${source.baseUrl} ${source.realm}`;
    if (realms.has(realm))
      ctx.addIssue({ code: 'custom', message: `realm "${source.realm}" of ${source.baseUrl} is listed twice`, path: [i, 'realm'] });
    realms.add(realm);
  }
});
