// `kc-event-relay-admin decode <file|->`: the canonical event the relay makes of a captured body,
// the first thing an operator does with a quarantined one. Runs offline, with the relay's decoder.
import { readFileSync } from 'node:fs';
import { parseDuration } from '../config/duration.js';
import { BODY_CHARSETS, type BodyCharset } from '../decode/charset.js';
import { defaultKeycloak } from '../decode/flatbuffer/profiles.js';
import { decodeBody, type BodyContext } from '../decode/index.js';
import { KNOWN_KEYCLOAK_RELEASES, resolveKeycloakVersion } from '../decode/keycloak/keycloak-versions.js';
import { SCHEMA_PROFILES, type CanonicalEvent, type SchemaProfile } from '../event/canonical.js';
import { UidAssigner } from '../event/snowflake.js';
import { validateEvent, type ValidateContext } from '../validate/index.js';

export interface DecodeOptions {
  /** --schema, else $FLATBUFFERS_SCHEMA, else the relay's default. */
  schema?: string | undefined;
  /** --keycloak, else $KEYCLOAK_VERSION, else the default of the schema's build. */
  keycloak?: string | undefined;
  /** --charset (the Content-Type's charset parameter the body came with), else none. */
  charset?: string | undefined;
  /** --body-charset, else $BODY_CHARSET, else auto. */
  bodyCharset?: string | undefined;
  /** --node: the Basic-auth username the body came with (only copied into source.node). */
  node?: string | undefined;
  /** --max-clock-skew, else $MAX_CLOCK_SKEW, else the relay's default. */
  maxClockSkew?: string | undefined;
}

/** The one place where command-line options become the decoder's context, as the relay's config does. */
export function decodeContextOf(options: DecodeOptions, env: NodeJS.ProcessEnv, nowMs: number): BodyContext & ValidateContext {
  const schema = options.schema ?? env.FLATBUFFERS_SCHEMA ?? 'emitter-2018';
  if (!(SCHEMA_PROFILES as readonly string[]).includes(schema)) {
    throw new Error(`--schema must be one of ${SCHEMA_PROFILES.join(', ')}; got "${schema}"`);
  }
  const skewText = options.maxClockSkew ?? env.MAX_CLOCK_SKEW ?? '5m';
  const maxFutureSkewMs = parseDuration(skewText);
  if (maxFutureSkewMs === null) throw new Error(`--max-clock-skew must be a duration such as 5m; got "${skewText}"`);
  const version = options.keycloak ?? env.KEYCLOAK_VERSION;
  const keycloak = version === undefined ? defaultKeycloak(schema as SchemaProfile) : resolveKeycloakVersion(version);
  if (!keycloak)
    throw new Error(
      `--keycloak must be a Keycloak major or release the relay knows (${KNOWN_KEYCLOAK_RELEASES.join(', ')}); got "${version}"`,
    );
  const bodyCharset = options.bodyCharset ?? env.BODY_CHARSET ?? 'auto';
  if (!(BODY_CHARSETS as readonly string[]).includes(bodyCharset)) {
    throw new Error(`--body-charset must be one of ${BODY_CHARSETS.join(', ')}; got "${bodyCharset}"`);
  }
  const uids = new UidAssigner({ workerId: 0 });
  return {
    settings: { profile: schema as SchemaProfile, keycloak, bodyCharset: bodyCharset as BodyCharset },
    contentType: options.charset === undefined ? undefined : `application/json; charset=${options.charset}`,
    node: options.node ?? 'cli',
    nowMs,
    maxFutureSkewMs,
    assignUid: () => uids.next(),
  };
}

/** The body's bytes: a file, or standard input for `-`; `base64` for what GET /admin/quarantine returns. */
export function readCapture(path: string, base64: boolean): Buffer {
  const raw = readFileSync(path === '-' ? 0 : path);
  return base64 ? Buffer.from(raw.toString('latin1').trim(), 'base64') : raw;
}

/** Throws the decoder's KcrError (code and message) when the relay would quarantine or reject the body. */
export function decodeCapture(body: Buffer, options: DecodeOptions, env: NodeJS.ProcessEnv = process.env): CanonicalEvent {
  const ctx = decodeContextOf(options, env, Date.now());
  return validateEvent(decodeBody(body, ctx), ctx);
}
