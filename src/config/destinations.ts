// Forwarding destinations (DESTINATIONS / DESTINATIONS_FILE): a JSON array, validated once. Each
// entry's `type` says where events go: an HTTP webhook (the default), RabbitMQ, NATS JetStream or a
// PostgreSQL table; every type shares the delivery settings (filter, concurrency, retries).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { urlCredentials, type Destination } from '../forward/destination.js';
import { parseDuration } from './duration.js';

const durationMs = z.union([
  z.number().int().positive(),
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 24h or 7d' });
      return z.NEVER;
    }
    return ms;
  }),
]);

const webhook = z
  .object({
    type: z.literal('webhook').default('webhook'),
    // The name keys a Redis consumer group and a metrics label: keep it to safe characters.
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name: letters, digits, "_", "." or "-", at most 64'),
    url: z.url({ protocol: /^https?$/ }).refine(
      (url) => {
        try {
          urlCredentials(url);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'url: user and password must be percent-encoded (they are sent as Basic auth)' },
    ),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'secret must be "whsec_" followed by base64 (Standard Webhooks)')
      // Standard Webhooks' range: a shorter key is guessable (`whsec_A` decodes to no byte at all).
      .refine((s) => {
        const bytes = Buffer.from(s.slice('whsec_'.length), 'base64').length;
        return bytes >= 24 && bytes <= 64;
      }, 'secret must decode to 24 to 64 bytes (Standard Webhooks), e.g. "whsec_" followed by the output of openssl rand -base64 32')
      .optional(),
    filter: z
      .object({
        kinds: z
          .array(z.enum(['event', 'admin', 'security-event']))
          .min(1)
          .optional(),
        types: z.array(z.string().min(1)).min(1).optional(),
        realms: z.array(z.string().min(1)).min(1).optional(),
        clients: z.array(z.string().min(1)).min(1).optional(),
        errorsOnly: z.boolean().optional(),
      })
      .strict()
      .default({}),
    timeoutMs: z.number().int().positive().max(120_000).default(5_000),
    concurrency: z.number().int().min(1).max(256).default(8),
    /** Requests per second at most; unset = as fast as the destination answers. */
    ratePerSecond: z.number().positive().optional(),
    /** Attempts before an event becomes a dead letter. */
    maxAttempts: z.number().int().min(1).max(1000).default(25),
    /** Age (since receipt) after which a failing event becomes a dead letter. */
    maxAge: durationMs.default(86_400_000),
    /** Where a new destination starts: everything still buffered, or only events from now on. */
    startFrom: z.enum(['buffer', 'now']).default('buffer'),
  })
  .strict();

/** A file's text, read once at start-up: credentials and certificates stay out of DESTINATIONS itself. */
const fileText = z.string().transform((path, ctx) => {
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})` });
    return z.NEVER;
  }
});

/** TLS to a broker or database whose certificate a private CA signed, and client certificates. */
const tls = z
  .strictObject({
    caFile: fileText.optional(),
    certFile: fileText.optional(),
    keyFile: fileText.optional(),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), 'certFile and keyFile go together')
  .transform((t) => ({ ca: t.caFile, cert: t.certFile, key: t.keyFile }));

// The delivery settings every type shares, as the webhook type defines them.
const { name, filter, timeoutMs, concurrency, ratePerSecond, maxAttempts, maxAge, startFrom } = webhook.shape;
const shared = {
  name,
  filter,
  timeoutMs,
  concurrency,
  ratePerSecond,
  maxAttempts,
  maxAge,
  startFrom,
  /** Events written per round trip (one confirm wait, one INSERT). */
  batchSize: z.number().int().min(1).max(1000).default(100),
  /** Replaces the URL's password (a mounted secret file). */
  passwordFile: fileText.optional(),
  tls: tls.optional(),
};

/** A URL of one of `schemes` (credentials allowed: they are never logged or shown). */
const urlOf = (schemes: string[]) =>
  z
    .string()
    .refine(
      (text) => {
        try {
          return schemes.includes(new URL(text).protocol.slice(0, -1));
        } catch {
          return false;
        }
      },
      `must start with ${schemes.map((s) => `${s}://`).join(' or ')}`,
    )
    .refine(
      (text) => {
        try {
          urlCredentials(text);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'url: user and password must be percent-encoded' },
    );

// Topic exchange and NATS subject words: no wildcards or separators of their own.
const word = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const amqp = z
  .object({
    ...shared,
    type: z.literal('amqp'),
    url: urlOf(['amqp', 'amqps']),
    exchange: z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/, 'exchange: letters, digits, "_", ".", ":" or "-"'),
    /** `{kind}`, `{realmId}`, `{type}`, `{clientId}` are replaced by the event's, made safe for a topic word. */
    routingKey: z.string().min(1).max(255).default('keycloak.{kind}.{realmId}.{type}'),
  })
  .strict();

const nats = z
  .object({
    ...shared,
    type: z.literal('nats'),
    url: urlOf(['nats', 'tls']),
    /** The relay appends `.<kind>.<realmId>.<type>`; a JetStream stream of the operator's must capture it. */
    subject: z.string().regex(word, 'subject: dot-separated words of letters, digits, "_" or "-" (no wildcards)').default('keycloak'),
  })
  .strict();

const postgres = z
  .object({
    ...shared,
    type: z.literal('postgres'),
    url: urlOf(['postgres', 'postgresql']),
    /** `table` or `schema.table`, created with its indexes when absent. */
    table: z
      .string()
      .regex(/^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/, 'table: lower-case identifier, optionally schema-qualified'),
  })
  .strict();

// What the schema makes is what the forward stage reads (src/forward/destination.ts): `satisfies` checks it.
const destination = z.discriminatedUnion('type', [webhook, amqp, nats, postgres], {
  error: (issue) => (issue.code === 'invalid_union' ? 'type must be "webhook" (the default), "amqp", "nats" or "postgres"' : undefined),
}) satisfies z.ZodType<Destination, unknown>;

export const destinationsSchema = z.array(destination).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, d] of list.entries()) {
    if (seen.has(d.name)) ctx.addIssue({ code: 'custom', message: `duplicate destination name "${d.name}"`, path: [i, 'name'] });
    seen.add(d.name);
  }
});
