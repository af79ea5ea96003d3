// Decodes a `format=FLATBUFFER` body's wrapper {"type": "Event"|"AdminEvent", "obj": "<base64>"}:
// strict base64, then verification of the whole buffer, and only then the generated accessors.
import type { SchemaProfile } from '../../event/canonical.js';
import { KCR_ERR_BASE64, KCR_ERR_WRAPPER_TYPE } from '../../errors.js';
import { describeJsonValue } from '../describe.js';
import { decodeStrictBase64 } from './base64.js';
import { verifyAdminEvent } from './layout-detection.js';
import { PROFILES } from './profiles.js';
import { readAdminEvent, readEvent, type FlatBufferFields } from './read-tables.js';
import { verifyFlatBuffer } from './verifier.js';

export type { FlatBufferFields } from './read-tables.js';

/**
 * Decodes the wrapper with the tables and enums of `profile` (FLATBUFFERS_SCHEMA); an AdminEvent
 * whose buffer evidently has the other table layout is decoded with the nearest profile of that
 * layout instead, reported as `schema`. Throws KcrError only.
 */
export function decodeFlatBuffer(wrapper: { type: unknown; obj: unknown }, profile: SchemaProfile): FlatBufferFields {
  const { type, obj } = wrapper;
  if (type !== 'Event' && type !== 'AdminEvent') throw KCR_ERR_WRAPPER_TYPE(describeJsonValue(type));
  if (typeof obj !== 'string') throw KCR_ERR_BASE64(`it is ${describeJsonValue(obj)}, not a string`);
  const bytes = decodeStrictBase64(obj);
  if (type === 'Event') {
    // Event tables are the same in every build; only the enum ordinals differ.
    const spec = PROFILES[profile];
    return readEvent(bytes, spec, verifyFlatBuffer(bytes, spec.layout.event));
  }
  const { spec, root } = verifyAdminEvent(bytes, profile);
  return readAdminEvent(bytes, spec, root);
}
