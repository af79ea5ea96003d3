// Which AdminEvent layout a body has. Nothing on the wire says which emitter build wrote it, and the
// same bytes can verify under both layouts, so FLATBUFFERS_SCHEMA is trusted unless the buffer
// itself contradicts it.
//
// The rule: verify against both layouts; decode with the configured one unless the other layout
// verifies AND the buffer shows a field only that layout explains, while nothing in it is explained
// only by the configured layout. A field's size shows in its room (see FieldSpan): builders never
// overlap fields, and the alignment padding they insert goes to the field added next, so a 1-byte
// enum has 1 byte of room and an offset at least 4. Evidence:
// - emitter-2020: a [Tuple] vector in slot 4, a 1-byte scalar in slot 6 (operationType, where
//   emitter-2018 has the resourcePath offset), or any field in slot 9 (emitter-2018 has 9 slots);
// - emitter-2018: a 1-byte scalar in slot 4 (resourceType, where emitter-2020 has the details
//   offset) or a string in slot 6 (resourcePath, where emitter-2020 has a 1-byte operationType).
// Without evidence (e.g. only slots 0-3 present, which read the same under both) the configured
// profile wins; if it does not verify, its error is reported. When the other layout wins, the
// nearest profile of that layout decodes (its UNKNOWN positions; the Keycloak release still names the bytes).
import type { SchemaProfile } from '../../event/canonical.js';
import { KcrError } from '../../errors.js';
import { LAYOUT_2018, LAYOUT_2020, slotIndex, type Layout } from './layouts.js';
import { nearestProfileOfOtherLayout, PROFILES, type ProfileSpec } from './profiles.js';
import { verifyFlatBuffer, type FieldSpan, type VerifiedTable } from './verifier.js';

export interface AdminEventLayoutChoice {
  readonly spec: ProfileSpec;
  readonly root: VerifiedTable;
}

const UOFFSET_SIZE = 4;
const isScalarByte = (field: FieldSpan | null | undefined): boolean => field != null && field.room < UOFFSET_SIZE;

const A2020 = LAYOUT_2020.adminEvent;
const A2018 = LAYOUT_2018.adminEvent;
const DETAILS_2020 = slotIndex(A2020, 'details');
const OPERATION_TYPE_2020 = slotIndex(A2020, 'operationType');
const ERROR_2020 = slotIndex(A2020, 'error');
const RESOURCE_TYPE_2018 = slotIndex(A2018, 'resourceType');
const RESOURCE_PATH_2018 = slotIndex(A2018, 'resourcePath');

/** `root` is the buffer verified under `layout`: does it hold a field only that layout explains? */
function hasEvidence(layout: Layout, root: VerifiedTable): boolean {
  const f = root.fields;
  return layout === LAYOUT_2020
    ? f[DETAILS_2020] != null || f[ERROR_2020] != null || isScalarByte(f[OPERATION_TYPE_2020])
    : isScalarByte(f[RESOURCE_TYPE_2018]) || f[RESOURCE_PATH_2018] != null;
}

type Attempt = { ok: true; root: VerifiedTable } | { ok: false; error: KcrError };

function attempt(bytes: Uint8Array, layout: Layout): Attempt {
  try {
    return { ok: true, root: verifyFlatBuffer(bytes, layout.adminEvent) };
  } catch (error) {
    if (error instanceof KcrError) return { ok: false, error };
    throw error;
  }
}

/** Verifies an AdminEvent buffer and picks the profile to decode it with (see the rule above). */
export function verifyAdminEvent(bytes: Uint8Array, configured: SchemaProfile): AdminEventLayoutChoice {
  const mine = PROFILES[configured];
  const other = PROFILES[nearestProfileOfOtherLayout(configured)];
  const asMine = attempt(bytes, mine.layout);
  const asOther = attempt(bytes, other.layout);
  const mineEvident = asMine.ok && hasEvidence(mine.layout, asMine.root);
  if (asOther.ok && hasEvidence(other.layout, asOther.root) && !mineEvident) {
    return { spec: other, root: asOther.root };
  }
  if (asMine.ok) return { spec: mine, root: asMine.root };
  throw asMine.error;
}
