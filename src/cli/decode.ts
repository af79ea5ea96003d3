// `kc-event-relay-admin decode <file|->`: the canonical event the relay makes of a captured body,
// the first thing an operator does with a quarantined one. Runs offline, with the relay's decoder.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { bodyCharset, flatbuffersSchema, keycloakVersion } from '../config/node-settings.js';
import { BODY_CHARSETS } from '../decode/charset.js';
import { decodeBody, type BodyContext } from '../decode/index.js';
import { KNOWN_KEYCLOAK_RELEASES } from '../decode/keycloak/keycloak-versions.js';
import { SenderSettings } from '../decode/sender-settings.js';
import { SCHEMA_PROFILES, type CanonicalEvent } from '../event/canonical.js';
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

/** `text` through one of the relay's own configuration schemas; `refusal` says what the option takes. */
function option<T>(schema: z.ZodType<T>, text: string, refusal: string): T {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new Error(`${refusal}; got "${text}"`);
  return parsed.data;
}

/**
 * The one place where command-line options become the decoder's context: checked by the schemas
 * of the relay's own variables and resolved as the relay resolves a sender's settings.
 */
export function decodeContextOf(options: DecodeOptions, env: NodeJS.ProcessEnv, nowMs: number): BodyContext & ValidateContext {
  const schemaText = options.schema ?? env.FLATBUFFERS_SCHEMA ?? 'emitter-2018';
  const keycloakText = options.keycloak ?? env.KEYCLOAK_VERSION;
  const charsetText = options.bodyCharset ?? env.BODY_CHARSET ?? 'auto';
  const skewText = options.maxClockSkew ?? env.MAX_CLOCK_SKEW ?? '5m';
  const maxFutureSkewMs = parseDuration(skewText);
  if (maxFutureSkewMs === null) throw new Error(`--max-clock-skew must be a duration such as 5m; got "${skewText}"`);
  const node = options.node ?? 'cli';
  const senders = new SenderSettings({
    FLATBUFFERS_SCHEMA: option(flatbuffersSchema, schemaText, `--schema must be one of ${SCHEMA_PROFILES.join(', ')}`),
    KEYCLOAK_VERSION:
      keycloakText === undefined
        ? undefined
        : option(
            keycloakVersion,
            keycloakText,
            `--keycloak must be a Keycloak major or release the relay knows (${KNOWN_KEYCLOAK_RELEASES.join(', ')})`,
          ),
    BODY_CHARSET: option(bodyCharset, charsetText, `--body-charset must be one of ${BODY_CHARSETS.join(', ')}`),
    NODE_SETTINGS: {},
  });
  const uids = new UidAssigner({ workerId: 0 });
  return {
    settings: senders.for(node),
    contentType: options.charset === undefined ? undefined : `application/json; charset=${options.charset}`,
    node,
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
