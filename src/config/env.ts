// Configuration comes from environment variables only, validated once at start-up; a problem is
// reported with the name of the variable at fault, never with a secret's value.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KCR_ERR_CONFIG } from '../errors.js';
import { algorithmsSchema, DEFAULT_ALGORITHMS, issuersSchema } from '../backchannel/issuers.js';
import { destinationsSchema } from './destinations.js';
import { keycloakSourcesSchema } from './keycloak-sources.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';
import { bodyCharset, flatbuffersSchema, keycloakVersion, nodeSettingsSchema } from './node-settings.js';
import { trustProxySchema } from './trust-proxy.js';
import { HMAC_ALGORITHMS } from '../http/auth/phasetwo-signature.js';

// zod 4 applies .default() after transforms (the default is an output value), so the text default goes first.
// With `off`, `0` is accepted too and read as 0 ms: the feature turned off.
const duration = (name: string, fallback: string, { off = false } = {}) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = off && text === '0' ? 0 : parseDuration(text);
      if (ms === null || (ms <= 0 && !off)) {
        const examples = off ? 'such as 500ms or 1s, or 0 (off)' : 'such as 7d, 12h, 30m, 45s or 500ms';
        ctx.addIssue({ code: 'custom', message: `${name} must be a duration ${examples}` });
        return z.NEVER;
      }
      return ms;
    });

const size = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const bytes = parseSize(text);
      if (bytes === null) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a size in bytes, or with a unit: such as 512MiB, 64KiB or 2GiB` });
        return z.NEVER;
      }
      return bytes;
    });

const jsonText = (name: string, what: string, fallback?: string) =>
  (fallback === undefined ? z.string() : z.string().default(fallback)).transform((text, ctx): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} must be ${what}` });
      return z.NEVER;
    }
  });

const positiveInt = z.coerce.number().int().positive();
const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
const list = z.string().transform(splitList);

/** Relay processes of one replica: each takes a 6-bit slot in the uids it assigns (src/event/snowflake.ts). */
export const MAX_WORKERS = 64;
export type Workers = number | 'auto';

/** Phase Two's names of the algorithms of X-Keycloak-Signature (its webhook's `algorithm`). */

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each node must be host:port');

const schema = z
  .object({
    HOST: z.string().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    // A guessable secret cannot be made safe by the throttle (a correct guess is admitted): 16 at least.
    AUTH_SECRET: z.string().min(16, 'AUTH_SECRET must be at least 16 characters (openssl rand -base64 32 makes a good one)'),
    AUTH_USERNAMES: list.optional(),
    AUTH_MAX_FAILURES: positiveInt.default(20),
    AUTH_FAILURE_WINDOW: duration('AUTH_FAILURE_WINDOW', '1m'),
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'REDIS_URL must start with redis:// or rediss://')
      .optional(),
    REDIS_CLUSTER_NODES: list.pipe(z.array(hostPort).min(1)).optional(),
    // Cluster seeds have no URL scheme to say `rediss`: TLS to the cluster is asked for here.
    REDIS_CLUSTER_TLS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    // CA bundle for rediss:// servers whose certificate is not signed by a public CA (self-hosted TLS).
    REDIS_TLS_CA_FILE: z.string().min(1).optional(),
    REDIS_COMMAND_TIMEOUT: duration('REDIS_COMMAND_TIMEOUT', '1s'),
    // Hash-tagged partitions of the Redis keys (docs/key-layout.md): 1 is the layout of every relay
    // before them; more spread a Redis Cluster's load over shards. Fixed for a store's lifetime.
    PARTITIONS: z.coerce.number().int().min(1).max(64).default(1),
    // N >= 1: ingest answers 200 only once WAIT N confirms the batch reached N replicas (503 otherwise).
    REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
    REDIS_WAIT_TIMEOUT: duration('REDIS_WAIT_TIMEOUT', '500ms'),
    DATA_DIR: z.string().min(1).default('./data'),
    // full: fsync before every 200 (survives power loss); normal: survives a relay crash only.
    EMBEDDED_SYNC: z.enum(['full', 'normal']).default('full'),
    KEY_PREFIX: z
      .string()
      .regex(/^[^{}\s]*$/, 'KEY_PREFIX must not contain braces or spaces (braces are reserved for hash tags)')
      .default('kcr:'),
    BUFFER_CAPACITY: positiveInt.default(100_000),
    BUFFER_OVERFLOW: z.enum(['drop-oldest', 'reject']).default('drop-oldest'),
    // Byte bounds beside the count bounds (bytes of the stored event JSON, of the quarantined bodies):
    // 100,000 bodies of 1 MiB would otherwise be 100 GiB of Redis memory.
    BUFFER_MAX_BYTES: size('BUFFER_MAX_BYTES', '512MiB'),
    QUARANTINE_MAX_BYTES: size('QUARANTINE_MAX_BYTES', '64MiB'),
    DEDUP_WINDOW: duration('DEDUP_WINDOW', '7d'),
    MAX_CLOCK_SKEW: duration('MAX_CLOCK_SKEW', '5m'),
    FLATBUFFERS_SCHEMA: flatbuffersSchema.default('emitter-2018'),
    // Unset: the release the FLATBUFFERS_SCHEMA build shipped for (warned about when FlatBuffer bodies arrive).
    KEYCLOAK_VERSION: keycloakVersion.optional(),
    BODY_CHARSET: bodyCharset.default('auto'),
    NODE_SETTINGS: jsonText('NODE_SETTINGS', 'a JSON object keyed by Basic-auth username', '{}').pipe(nodeSettingsSchema),
    INVALID_PAYLOAD: z.enum(['quarantine', 'reject']).default('quarantine'),
    BODY_LIMIT: positiveInt.default(1_048_576),
    RELAY_WORKER_ID: z.coerce.number().int().min(0).max(31).default(0),
    // Relay processes behind the one port (src/workers/): `auto` = the cores available; Redis store only.
    WORKERS: z
      .string()
      .default('1')
      .transform((text, ctx): Workers => {
        if (text === 'auto') return 'auto';
        const n = /^[1-9][0-9]*$/.test(text) ? Number(text) : NaN;
        if (n >= 1 && n <= MAX_WORKERS) return n;
        ctx.addIssue({ code: 'custom', message: `WORKERS must be auto or an integer from 1 to ${MAX_WORKERS}` });
        return z.NEVER;
      }),
    // Behind a load balancer, the client address (auth throttling, logs) comes from X-Forwarded-For
    // only when the peer is a trusted proxy: a comma list of the proxies' addresses/CIDRs, or a hop count.
    TRUST_PROXY: trustProxySchema,
    SHUTDOWN_TIMEOUT: duration('SHUTDOWN_TIMEOUT', '10s'),
    // Slow senders: a request's headers and body must arrive within BODY_TIMEOUT (answered 408 and
    // the connection closed otherwise), and one address holds at most MAX_CONNECTIONS_PER_ADDRESS
    // connections (0 = no cap), so that trickling clients cannot hold the server's sockets.
    BODY_TIMEOUT: duration('BODY_TIMEOUT', '15s'),
    MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).default(64),
    // Bearer token of GET /metrics; the endpoint is open when unset (it tells counts, never events).
    METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    // Load shedding (src/http/load-shedding.ts): ingest answers 503 + Retry-After while the event
    // loop is saturated, so Keycloak keeps and resends instead of waiting on a relay that cannot keep up.
    SHED_EVENT_LOOP_DELAY: duration('SHED_EVENT_LOOP_DELAY', '1s', { off: true }),
    SHED_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0),
    SHED_RETRY_AFTER: duration('SHED_RETRY_AFTER', '5s'),
    DESTINATIONS: jsonText('DESTINATIONS', 'a JSON array', '[]').pipe(destinationsSchema),
    // Events pending this long on one replica are taken over by another: longer than any destination timeout.
    FORWARD_CLAIM_IDLE: duration('FORWARD_CLAIM_IDLE', '60s'),
    // Cluster logout (docs/logout.md): a revocation is kept this long after its notBefore, so it
    // must be at least the longest lifetime of a token the applications accept.
    REVOCATION_TTL: duration('REVOCATION_TTL', '24h'),
    // Bearer token of GET /logouts (embedded mode); the stream is off when unset.
    LOGOUT_STREAM_TOKEN: z.string().min(16, 'LOGOUT_STREAM_TOKEN must be at least 16 characters').optional(),
    LOGOUT_REPLAY_SIZE: positiveInt.default(10_000),
    // Back-channel logout (docs/logout.md): POST /backchannel-logout is on when issuers are listed.
    BACKCHANNEL_ISSUERS: jsonText('BACKCHANNEL_ISSUERS', 'a JSON array').pipe(issuersSchema('BACKCHANNEL_ISSUERS')).optional(),
    // The issuers of every signed token the relay takes (back-channel logout, Phase Two bearer
    // webhooks, SSF pushes); BACKCHANNEL_ISSUERS is its former name, still read.
    TOKEN_ISSUERS: jsonText('TOKEN_ISSUERS', 'a JSON array').pipe(issuersSchema('TOKEN_ISSUERS')).optional(),
    // Phase Two's keycloak-events webhooks (POST /webhooks/phasetwo): the webhook secrets accepted
    // (several during a rotation) and the HMAC algorithms allowed for X-Keycloak-Signature.
    PHASETWO_SECRETS: list.pipe(z.array(z.string().min(16, 'each of PHASETWO_SECRETS must be at least 16 characters')).min(1)).optional(),
    PHASETWO_ALGORITHMS: list
      .pipe(z.array(z.enum(HMAC_ALGORITHMS, { message: `each algorithm must be one of ${HMAC_ALGORITHMS.join(', ')}` })).min(1))
      .default(['HmacSHA256']),
    // Keycloak's SSF transmitter (POST /ssf/push, RFC 8935): the stream's Authorization value, how
    // old a Security Event Token may be, and whether a credential change ends the user's sessions.
    SSF_PUSH_AUTHORIZATION: z.string().min(16, 'SSF_PUSH_AUTHORIZATION must be at least 16 characters').optional(),
    SSF_MAX_SET_AGE: duration('SSF_MAX_SET_AGE', '36h'),
    SSF_CREDENTIAL_CHANGE: z.enum(['forward', 'logout']).default('forward'),
    // Catch-up (src/sources/keycloak/): the realms whose saved events are read back from Keycloak's
    // admin REST API, so that what a push sender dropped is stored all the same.
    KEYCLOAK_SOURCES: jsonText('KEYCLOAK_SOURCES', 'a JSON array', '[]').pipe(keycloakSourcesSchema),
    BACKCHANNEL_ALGORITHMS: list.pipe(algorithmsSchema).default(DEFAULT_ALGORITHMS),
    BACKCHANNEL_CLOCK_SKEW: duration('BACKCHANNEL_CLOCK_SKEW', '60s'),
    // Least time between two JWKS fetches of one issuer caused by an unknown key id.
    BACKCHANNEL_JWKS_COOLDOWN: duration('BACKCHANNEL_JWKS_COOLDOWN', '30s'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((c) => !(c.REDIS_URL && c.REDIS_CLUSTER_NODES), {
    message: 'set either REDIS_URL or REDIS_CLUSTER_NODES, not both',
    path: ['REDIS_CLUSTER_NODES'],
  })
  // The embedded store is one process's database (DATA_DIR is locked): a count that cannot be honoured
  // is refused; `auto` runs one process there, and says so at start (src/workers/worker-count.ts).
  .refine((c) => c.WORKERS === 'auto' || c.WORKERS === 1 || Boolean(c.REDIS_URL || c.REDIS_CLUSTER_NODES), {
    message: 'WORKERS above 1 needs the Redis store (REDIS_URL or REDIS_CLUSTER_NODES): the embedded store runs in one process',
    path: ['WORKERS'],
  })
  // Each partition's share of the byte bound holds at least one body of the largest size accepted.
  .refine((c) => c.BUFFER_MAX_BYTES >= c.BODY_LIMIT * c.PARTITIONS, {
    message: 'BUFFER_MAX_BYTES must hold at least one BODY_LIMIT-sized event per partition (BODY_LIMIT × PARTITIONS)',
    path: ['BUFFER_MAX_BYTES'],
  })
  .refine((c) => c.QUARANTINE_MAX_BYTES >= c.BODY_LIMIT, {
    message: 'QUARANTINE_MAX_BYTES must hold at least one body of BODY_LIMIT bytes',
    path: ['QUARANTINE_MAX_BYTES'],
  })
  .refine((c) => !(c.TOKEN_ISSUERS && c.BACKCHANNEL_ISSUERS), {
    message: 'set TOKEN_ISSUERS or its former name BACKCHANNEL_ISSUERS, not both',
    path: ['TOKEN_ISSUERS'],
  })
  .refine((c) => c.REDIS_WAIT_REPLICAS === 0 || c.REDIS_WAIT_TIMEOUT < c.REDIS_COMMAND_TIMEOUT, {
    message: 'REDIS_WAIT_TIMEOUT must be shorter than REDIS_COMMAND_TIMEOUT, which bounds the whole write',
    path: ['REDIS_WAIT_TIMEOUT'],
  });

export type Config = z.infer<typeof schema>;

/** `X_FILE` wins over `X`, so that secrets and the destinations list can come from mounted files. */
function withFileValues(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw KCR_ERR_CONFIG(`- ${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // An empty variable means "unset", as in most shells' and compose files' conventions.
  for (const [k, v] of Object.entries(out)) if (v === '') out[k] = undefined;
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(
    withFileValues(env, [
      'AUTH_SECRET',
      'ADMIN_TOKEN',
      'DESTINATIONS',
      'KEYCLOAK_SOURCES',
      'LOGOUT_STREAM_TOKEN',
      'METRICS_TOKEN',
      'NODE_SETTINGS',
      'PHASETWO_SECRETS',
      'SSF_PUSH_AUTHORIZATION',
      'TOKEN_ISSUERS',
    ]),
  );
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => {
      const name = issue.path.join('.') || '(config)';
      const message = issue.code === 'invalid_type' && issue.input === undefined ? `${name} is required` : issue.message;
      return `- ${name}: ${message}`;
    })
    .join('\n');
  throw KCR_ERR_CONFIG(problems);
}
