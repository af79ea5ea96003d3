// Decodes a `format=FLATBUFFER` body's wrapper {"type": "Event"|"AdminEvent", "obj": "<base64>"}:
// strict base64, then verification of the whole buffer, and only then the generated accessors.
import type { SchemaProfile } from '../../event/canonical.js';
import { KCR_ERR_BASE64, KCR_ERR_WRAPPER_TYPE } from '../../errors.js';
import { describeJsonValue } from '../describe.js';
import type { KeycloakEnums } from '../keycloak/keycloak-versions.js';
import { decodeStrictBase64 } from './base64.js';
import { enumNaming } from './enum-naming.js';
import { verifyAdminEvent } from './layout-detection.js';
import { PROFILES } from './profiles.js';
import { readAdminEvent, readEvent, type FlatBufferFields } from './read-tables.js';
import { verifyFlatBuffer } from './verifier.js';

export type { FlatBufferFields } from './read-tables.js';

/** What a FlatBuffer body is read with: the build's tables (FLATBUFFERS_SCHEMA) and the Keycloak naming its bytes. */
export interface FlatBufferSettings {
  profile: SchemaProfile;
  keycloak: KeycloakEnums;
}

/**
 * Decodes the wrapper with the tables of `settings.profile`; an AdminEvent whose buffer evidently
 * has the other table layout is decoded with the nearest profile of that layout instead, reported
 * as `schema`. Enum bytes are named by `settings.keycloak` either way. Throws KcrError only.
 */
export function decodeFlatBuffer(wrapper: { type: unknown; obj: unknown }, settings: FlatBufferSettings): FlatBufferFields {
  const { type, obj } = wrapper;
  if (type !== 'Event' && type !== 'AdminEvent') throw KCR_ERR_WRAPPER_TYPE(describeJsonValue(type));
  if (typeof obj !== 'string') throw KCR_ERR_BASE64(`it is ${describeJsonValue(obj)}, not a string`);
  const bytes = decodeStrictBase64(obj);
  if (type === 'Event') {
    // Event tables are the same in every build; only where UNKNOWN sits differs.
    const spec = PROFILES[settings.profile];
    return readEvent(bytes, spec, enumNaming(spec, settings.keycloak), verifyFlatBuffer(bytes, spec.layout.event));
  }
  const { spec, root } = verifyAdminEvent(bytes, settings.profile);
  return readAdminEvent(bytes, spec, enumNaming(spec, settings.keycloak), root);
}
