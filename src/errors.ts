// Every error the relay reports has a stable machine-readable code (KCR_ERR_*), an HTTP status and a
// message, built by one coded constructor per error, as fastify does with FST_ERR_*. One file past
// 250 lines on purpose: the whole catalogue in one place (test/docs/readme.test.ts reads it).

export interface KcrErrorJson {
  code: string;
  message: string;
}

export class KcrError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** Undecodable-but-authenticated input: quarantined (200) or rejected (400) per INVALID_PAYLOAD. */
  readonly quarantinable: boolean;
  /** Headers of the HTTP answer: Retry-After of every 503 and 429, the challenge of a 401. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: string,
    message: string,
    statusCode: number,
    quarantinable: boolean,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'KcrError';
    this.code = code;
    this.statusCode = statusCode;
    this.quarantinable = quarantinable;
    this.headers = options?.headers ?? {};
  }

  toJSON(): KcrErrorJson {
    return { code: this.code, message: this.message };
  }
}

export interface KcrErrorConstructor<A extends unknown[]> {
  new (...args: A): KcrError;
  (...args: A): KcrError;
  readonly code: string;
  readonly statusCode: number;
}

interface Definition<A extends unknown[]> {
  status: number;
  /** For a code whose status is the one the HTTP layer gave (KCR_ERR_REQUEST); `status` otherwise. */
  statusOf?: (...args: A) => number;
  message: (...args: A) => string;
  /** true for decode/validation failures of an authenticated body. */
  quarantinable?: boolean;
  /** Seconds the client should wait before resending; every 503 has one (DEFAULT_RETRY_AFTER_S unless given). */
  retryAfterS?: (...args: A) => number;
  /** The WWW-Authenticate challenge of a 401. */
  challenge?: string;
}

/** Retry-After of a 503 whose definition names none: a short wait, Keycloak resends anyway. */
const DEFAULT_RETRY_AFTER_S = 2;

function headersOf<A extends unknown[]>(def: Definition<A>, status: number, args: A): Record<string, string> {
  const headers: Record<string, string> = {};
  const retryAfter = def.retryAfterS?.(...args) ?? (status === 503 ? DEFAULT_RETRY_AFTER_S : undefined);
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (def.challenge) headers['www-authenticate'] = def.challenge;
  return headers;
}

function define<A extends unknown[]>(code: string, def: Definition<A>): KcrErrorConstructor<A> {
  const ctor = function (...args: A): KcrError {
    const status = def.statusOf?.(...args) ?? def.status;
    return new KcrError(code, def.message(...args), status, def.quarantinable ?? false, { headers: headersOf(def, status, args) });
  } as unknown as KcrErrorConstructor<A>;
  Object.defineProperty(ctor, 'code', { value: code });
  Object.defineProperty(ctor, 'statusCode', { value: def.status });
  Object.defineProperty(ctor, 'name', { value: code });
  return ctor;
}

const invalid = <A extends unknown[]>(message: (...args: A) => string): Definition<A> => ({
  status: 400,
  message,
  quarantinable: true,
});

// --- request envelope -------------------------------------------------------------------------
export const KCR_ERR_BODY_NOT_JSON = define('KCR_ERR_BODY_NOT_JSON', {
  status: 400,
  message: (why: string) => `Body is not a JSON object: ${why}`,
});
export const KCR_ERR_BODY_TOO_LARGE = define('KCR_ERR_BODY_TOO_LARGE', {
  status: 413,
  message: (limit: number) => `Body exceeds BODY_LIMIT (${limit} bytes)`,
});
/** A request the HTTP layer refused (fastify's own 4xx, a schema it fails): fastify's status is kept. */
export const KCR_ERR_REQUEST = define('KCR_ERR_REQUEST', {
  status: 400,
  statusOf: (status: number, _why: string) => status,
  message: (_status: number, why: string) => `Request refused: ${why}`,
});
export const KCR_ERR_REQUEST_TIMEOUT = define('KCR_ERR_REQUEST_TIMEOUT', {
  status: 408,
  message: (timeoutMs: number) => `Headers and body not received within BODY_TIMEOUT (${timeoutMs} ms)`,
});
export const KCR_ERR_HEADERS_TOO_LARGE = define('KCR_ERR_HEADERS_TOO_LARGE', {
  status: 431,
  message: () => "Request headers exceed the server's limit",
});

// --- decoding (authenticated bodies: quarantined or rejected) --------------------------------
export const KCR_ERR_CHARSET = define(
  'KCR_ERR_CHARSET',
  invalid((charset: string, source: string) => `Body is not valid ${charset} (${source})`),
);
export const KCR_ERR_CHARSET_UNSUPPORTED = define(
  'KCR_ERR_CHARSET_UNSUPPORTED',
  invalid((charset: string) => `Content-Type declares charset "${charset}", which the relay cannot decode`),
);
export const KCR_ERR_EVENT_KIND = define(
  'KCR_ERR_EVENT_KIND',
  invalid(() => 'Body is neither a Keycloak Event (no "type") nor an AdminEvent (no "operationType"/"resourceType")'),
);
export const KCR_ERR_FIELD_TYPE = define(
  'KCR_ERR_FIELD_TYPE',
  invalid((field: string, expected: string) => `Field "${field}" must be ${expected}`),
);
export const KCR_ERR_UID_INVALID = define(
  'KCR_ERR_UID_INVALID',
  invalid((why: string) => `uid is not a signed 64-bit integer: ${why}`),
);
export const KCR_ERR_UID_FUTURE = define(
  'KCR_ERR_UID_FUTURE',
  invalid((emittedAt: string, skewMs: number) => `uid time ${emittedAt} is more than ${skewMs} ms in the future`),
);
export const KCR_ERR_UID_BEFORE_EPOCH = define(
  'KCR_ERR_UID_BEFORE_EPOCH',
  invalid(() => 'uid time is before the snowflake epoch 2015-01-01T00:00:00Z'),
);
export const KCR_ERR_WRAPPER_TYPE = define(
  'KCR_ERR_WRAPPER_TYPE',
  invalid((got: string) => `FlatBuffer wrapper "type" must be "Event" or "AdminEvent", got ${got}`),
);
export const KCR_ERR_BASE64 = define(
  'KCR_ERR_BASE64',
  invalid((why: string) => `FlatBuffer wrapper "obj" is not standard base64: ${why}`),
);
export const KCR_ERR_FLATBUFFER = define(
  'KCR_ERR_FLATBUFFER',
  invalid((why: string) => `FlatBuffer failed verification: ${why}`),
);
export const KCR_ERR_DECODE_FAILED = define(
  'KCR_ERR_DECODE_FAILED',
  invalid(() => 'Body could not be decoded (an internal decoder fault, logged by the relay)'),
);

// --- authentication ---------------------------------------------------------------------------
const BASIC_CHALLENGE = 'Basic realm="kc-event-relay", charset="UTF-8"';
export const KCR_ERR_AUTH_MISSING = define('KCR_ERR_AUTH_MISSING', {
  status: 401,
  message: () => 'Basic credentials are required',
  challenge: BASIC_CHALLENGE,
});
export const KCR_ERR_AUTH_INVALID = define('KCR_ERR_AUTH_INVALID', {
  status: 401,
  message: () => 'Credentials are not valid',
  challenge: BASIC_CHALLENGE,
});
export const KCR_ERR_AUTH_THROTTLED = define('KCR_ERR_AUTH_THROTTLED', {
  status: 429,
  message: (retryAfterS: number) =>
    `Too many failed authentications from this address; retry in ${retryAfterS} s (valid credentials are always admitted)`,
  retryAfterS: (retryAfterS: number) => retryAfterS,
});
export const KCR_ERR_ADMIN_AUTH = define('KCR_ERR_ADMIN_AUTH', {
  status: 401,
  message: () => 'A valid bearer token (ADMIN_TOKEN) is required',
  challenge: 'Bearer realm="kc-event-relay admin"',
});
export const KCR_ERR_LOGOUT_AUTH = define('KCR_ERR_LOGOUT_AUTH', {
  status: 401,
  message: () => 'A valid bearer token (LOGOUT_STREAM_TOKEN) is required',
  challenge: 'Bearer realm="kc-event-relay logouts"',
});
export const KCR_ERR_METRICS_AUTH = define('KCR_ERR_METRICS_AUTH', {
  status: 401,
  message: () => 'A valid bearer token (METRICS_TOKEN) is required',
  challenge: 'Bearer realm="kc-event-relay metrics"',
});
export const KCR_ERR_REVOCATION_QUERY = define('KCR_ERR_REVOCATION_QUERY', {
  status: 400,
  message: (why: string) => `Revocation check needs realmId (or iss), sub and an integer iat: ${why}`,
});

// --- back-channel logout (POST /backchannel-logout): every refusal is a 400, as the OIDC spec asks --
export const KCR_ERR_BACKCHANNEL_REQUEST = define('KCR_ERR_BACKCHANNEL_REQUEST', {
  status: 400,
  message: (why: string) => `Not a back-channel logout request: ${why}`,
});
export const KCR_ERR_BACKCHANNEL_ISSUER = define('KCR_ERR_BACKCHANNEL_ISSUER', {
  status: 400,
  message: (iss: string) => `Logout token issuer ${iss} is not one of TOKEN_ISSUERS`,
});
export const KCR_ERR_BACKCHANNEL_SIGNATURE = define('KCR_ERR_BACKCHANNEL_SIGNATURE', {
  status: 400,
  message: (why: string) => `Logout token signature not verified: ${why}`,
});
export const KCR_ERR_BACKCHANNEL_KEY = define('KCR_ERR_BACKCHANNEL_KEY', {
  status: 400,
  message: (why: string) => `No issuer key to verify the logout token: ${why}`,
});
export const KCR_ERR_BACKCHANNEL_CLAIMS = define('KCR_ERR_BACKCHANNEL_CLAIMS', {
  status: 400,
  message: (why: string) => `Logout token claims refused: ${why}`,
});
export const KCR_ERR_BACKCHANNEL_REPLAY = define('KCR_ERR_BACKCHANNEL_REPLAY', {
  status: 400,
  message: () => 'Logout token already received (jti replayed); nothing published again',
});
export const KCR_ERR_BACKCHANNEL_UNAVAILABLE = define('KCR_ERR_BACKCHANNEL_UNAVAILABLE', {
  status: 400,
  message: (why: string) => `Logout not recorded, the store is unreachable (nothing published): ${why}`,
});

// --- Phase Two webhooks (POST /webhooks/phasetwo): fixed messages, details only in the log --------
const P2_CHALLENGE = 'Bearer realm="kc-event-relay phasetwo"';
export const KCR_ERR_PHASETWO_UNSIGNED = define('KCR_ERR_PHASETWO_UNSIGNED', {
  status: 401,
  message: () => 'An X-Keycloak-Signature header or a bearer token is required',
  challenge: P2_CHALLENGE,
});
export const KCR_ERR_PHASETWO_SIGNATURE = define('KCR_ERR_PHASETWO_SIGNATURE', {
  status: 401,
  message: () => 'X-Keycloak-Signature does not match the body under any of PHASETWO_SECRETS and PHASETWO_ALGORITHMS',
  challenge: P2_CHALLENGE,
});
export const KCR_ERR_PHASETWO_TOKEN = define('KCR_ERR_PHASETWO_TOKEN', {
  status: 401,
  message: () => 'The bearer token is refused (issuer, signature, audience, time or body digest)',
  challenge: P2_CHALLENGE,
});
export const KCR_ERR_PHASETWO_BODY = define(
  'KCR_ERR_PHASETWO_BODY',
  invalid((why: string) => `Body is not a Phase Two webhook event: ${why}`),
);

// --- SSF push (POST /ssf/push, RFC 8935): every refusal a 400; the answer's description is fixed per
// code (src/http/routes/ssf-push.ts), these messages with their details go to the log only --------
export const KCR_ERR_SSF_AUTH = define('KCR_ERR_SSF_AUTH', {
  status: 400,
  message: (why: string) => `Push refused, Authorization is not SSF_PUSH_AUTHORIZATION: ${why}`,
});
export const KCR_ERR_SSF_REQUEST = define('KCR_ERR_SSF_REQUEST', {
  status: 400,
  message: (why: string) => `Not a valid Security Event Token: ${why}`,
});
export const KCR_ERR_SSF_KEY = define('KCR_ERR_SSF_KEY', {
  status: 400,
  message: (why: string) => `Security Event Token not verified by a key of its issuer: ${why}`,
});
export const KCR_ERR_SSF_ISSUER = define('KCR_ERR_SSF_ISSUER', {
  status: 400,
  message: (why: string) => `Security Event Token issuer refused: ${why}`,
});
export const KCR_ERR_SSF_AUDIENCE = define('KCR_ERR_SSF_AUDIENCE', {
  status: 400,
  message: (why: string) => `Security Event Token audience refused: ${why}`,
});

// --- store ------------------------------------------------------------------------------------
export const KCR_ERR_STORE_UNAVAILABLE = define('KCR_ERR_STORE_UNAVAILABLE', {
  status: 503,
  // Not "nothing stored": a write sent before a timeout may still be applied (a paused Redis).
  message: (why: string) =>
    `Event store unreachable or too slow, the write is not confirmed: resend it (if it was stored after all, the resend is answered duplicate): ${why}`,
});
export const KCR_ERR_BUFFER_FULL = define('KCR_ERR_BUFFER_FULL', {
  status: 503,
  message: (capacity: number, maxBytes: number) =>
    `Ring buffer is full (BUFFER_CAPACITY=${capacity}, BUFFER_MAX_BYTES=${maxBytes}, BUFFER_OVERFLOW=reject) and its oldest event is not yet delivered`,
});

export const KCR_ERR_OVERLOADED = define('KCR_ERR_OVERLOADED', {
  status: 503,
  message: (why: string, _retryAfterS: number) => `The relay is overloaded (${why}); nothing was stored, retry later`,
  retryAfterS: (_why: string, retryAfterS: number) => retryAfterS,
});

export const KCR_ERR_STORE_LAYOUT = define('KCR_ERR_STORE_LAYOUT', {
  status: 503,
  message: (prefix: string, recorded: number, configured: number) =>
    `The Redis data under KEY_PREFIX=${prefix} was written with PARTITIONS=${recorded}; this relay runs with PARTITIONS=${configured} and refuses to write: set PARTITIONS=${recorded}, or use another KEY_PREFIX for the new layout (docs/key-layout.md)`,
});

export const KCR_ERR_NOT_REPLICATED = define('KCR_ERR_NOT_REPLICATED', {
  status: 503,
  message: (acknowledged: number, wanted: number, timeoutMs: number) =>
    `Stored on the Redis primary, but only ${acknowledged} of the ${wanted} replicas of REDIS_WAIT_REPLICAS confirmed it within ${timeoutMs} ms: not confirmed, resend (the resend is a duplicate)`,
});

export const KCR_ERR_SHUTTING_DOWN = define('KCR_ERR_SHUTTING_DOWN', {
  status: 503,
  message: () => 'The relay is shutting down; nothing was done: resend (another replica will take it)',
});

export const KCR_ERR_WORKERS_UNAVAILABLE = define('KCR_ERR_WORKERS_UNAVAILABLE', {
  status: 503,
  // A count from part of the processes would look like counters going backwards: nothing is answered.
  message: (why: string) => `A relay process of this replica (WORKERS) did not answer, so the replica's counts would be partial: ${why}`,
});

export const KCR_ERR_NO_GROUP = define('KCR_ERR_NO_GROUP', {
  status: 503,
  message: (group: string) => `Consumer group "${group}" does not exist (never created, or lost with the store's data)`,
});

// --- admin / lookups --------------------------------------------------------------------------
export const KCR_ERR_UID_PARAM = define('KCR_ERR_UID_PARAM', {
  status: 400,
  message: (why: string) => `Not a decimal signed 64-bit uid: ${why}`,
});
export const KCR_ERR_EVENT_NOT_FOUND = define('KCR_ERR_EVENT_NOT_FOUND', {
  status: 404,
  message: (uid: string) => `No event with uid ${uid} in the dedup window`,
});
export const KCR_ERR_EVENT_EVICTED = define('KCR_ERR_EVENT_EVICTED', {
  status: 404,
  message: (uid: string) => `Event ${uid} was accepted but has since left the ring buffer`,
});
export const KCR_ERR_DESTINATION_UNKNOWN = define('KCR_ERR_DESTINATION_UNKNOWN', {
  status: 404,
  message: (name: string) => `No destination named "${name}" in DESTINATIONS`,
});
export const KCR_ERR_REPLAY_REQUEST = define('KCR_ERR_REPLAY_REQUEST', {
  status: 400,
  message: (why: string) => `Invalid replay request: ${why}`,
});
export const KCR_ERR_JOB_NOT_FOUND = define('KCR_ERR_JOB_NOT_FOUND', {
  status: 404,
  message: (id: string) => `No job ${id} (finished jobs are kept, the newest 100)`,
});
export const KCR_ERR_REVOCATION_NOT_FOUND = define('KCR_ERR_REVOCATION_NOT_FOUND', {
  status: 404,
  message: (realmId: string, scope: string) => `No revocation "${scope}" in force in realm "${realmId}" (none recorded, or expired)`,
});
export const KCR_ERR_NOT_FOUND = define('KCR_ERR_NOT_FOUND', {
  status: 404,
  message: (method: string, url: string) => `No route ${method} ${url}`,
});
export const KCR_ERR_INTERNAL = define('KCR_ERR_INTERNAL', {
  status: 500,
  message: () => 'Internal error',
});

// --- start-up ---------------------------------------------------------------------------------
export const KCR_ERR_CONFIG = define('KCR_ERR_CONFIG', {
  status: 500,
  message: (problems: string) => `Invalid configuration:\n${problems}`,
});

// --- catch-up sources (KEYCLOAK_SOURCES): never an HTTP answer; a run's outcome, logged ----------
export const KCR_ERR_SOURCE_ANSWER = define('KCR_ERR_SOURCE_ANSWER', {
  status: 502,
  message: (source: string, what: string) => `Catch-up source "${source}": Keycloak answered what the relay cannot read: ${what}`,
});
