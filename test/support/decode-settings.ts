// Decode settings as SenderSettings resolves them, for tests that decode without a relay.
import type { FlatBufferSettings } from '../../src/decode/flatbuffer/decode-flatbuffer.js';
import { defaultKeycloak } from '../../src/decode/flatbuffer/profiles.js';
import { resolveKeycloakVersion } from '../../src/decode/keycloak/keycloak-versions.js';
import type { DecodeContext } from './decode-event.js';
import type { BodyCharset } from '../../src/decode/charset.js';
import type { SchemaProfile } from '../../src/event/canonical.js';

/** A profile's tables with a Keycloak release (the profile's default when omitted). */
export function fb(profile: SchemaProfile, release?: string): FlatBufferSettings {
  const keycloak = release === undefined ? defaultKeycloak(profile) : resolveKeycloakVersion(release);
  if (!keycloak) throw new Error(`unknown Keycloak release ${release}`);
  return { profile, keycloak };
}

/** DecodeContext.settings: fb() plus the charset assumed when a body declares none. */
export function decodeSettings(profile: SchemaProfile, release?: string, bodyCharset: BodyCharset = 'auto'): DecodeContext['settings'] {
  return { ...fb(profile, release), bodyCharset };
}
