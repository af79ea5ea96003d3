// How a sender's bodies are read: the emitter build's table layout (FLATBUFFERS_SCHEMA), the Keycloak
// release naming its enum bytes (KEYCLOAK_VERSION) and the charset assumed when none is declared
// (BODY_CHARSET), globally and per Basic-auth username (NODE_SETTINGS), since during a rolling
// Keycloak upgrade nodes of two versions post at once.
import { z } from 'zod';
import { BODY_CHARSETS } from '../decode/charset.js';
import { KNOWN_KEYCLOAK_RELEASES, knownKeycloakMajors, resolveKeycloakVersion } from '../decode/keycloak/keycloak-versions.js';
import { SCHEMA_PROFILES } from '../event/canonical.js';

/** A Keycloak release or major, resolved to its enum lists; an unknown one names the known ones. */
export const keycloakVersion = z.string().transform((text, ctx) => {
  const found = resolveKeycloakVersion(text);
  if (!found) {
    ctx.addIssue({
      code: 'custom',
      message:
        `"${text}" is not a Keycloak version whose enum lists the relay knows; give a major (${knownKeycloakMajors()}) ` +
        `or a release (${KNOWN_KEYCLOAK_RELEASES.join(', ')}); docs/emitter-formats.md says which to pick`,
    });
    return z.NEVER;
  }
  return found;
});

export const flatbuffersSchema = z.enum(SCHEMA_PROFILES);
export const bodyCharset = z.enum(BODY_CHARSETS);

const nodeSettings = z
  .object({
    flatbuffersSchema: flatbuffersSchema.optional(),
    keycloakVersion: keycloakVersion.optional(),
    bodyCharset: bodyCharset.optional(),
  })
  .strict();

/** NODE_SETTINGS: `{"<username>": {"flatbuffersSchema"?, "keycloakVersion"?, "bodyCharset"?}}`. */
export const nodeSettingsSchema = z.record(z.string().min(1), nodeSettings);
export type NodeSettings = z.infer<typeof nodeSettingsSchema>;
