// Per emitter build (FLATBUFFERS_SCHEMA profile): its table layout and its enum names in ordinal
// order. The names come from the flatc-generated enums, so schema/*.fbs stays the single source.
import type { SchemaProfile } from '../../event/canonical.js';
import { EventType as EventType2018 } from '../../../generated/emitter2018/event-type.js';
import { OperationType as OperationType2018 } from '../../../generated/emitter2018/operation-type.js';
import { ResourceType as ResourceType2018 } from '../../../generated/emitter2018/resource-type.js';
import { EventType as EventType2020 } from '../../../generated/emitter2020/event-type.js';
import { OperationType as OperationType2020 } from '../../../generated/emitter2020/operation-type.js';
import { ResourceType as ResourceType2020 } from '../../../generated/emitter2020/resource-type.js';
import { EventType as EventType202410 } from '../../../generated/emitter202410/event-type.js';
import { OperationType as OperationType202410 } from '../../../generated/emitter202410/operation-type.js';
import { ResourceType as ResourceType202410 } from '../../../generated/emitter202410/resource-type.js';
import { EventType as EventType202411 } from '../../../generated/emitter202411/event-type.js';
import { OperationType as OperationType202411 } from '../../../generated/emitter202411/operation-type.js';
import { ResourceType as ResourceType202411 } from '../../../generated/emitter202411/resource-type.js';
import { EventType as EventTypeKc26 } from '../../../generated/emitterkc26/event-type.js';
import { OperationType as OperationTypeKc26 } from '../../../generated/emitterkc26/operation-type.js';
import { ResourceType as ResourceTypeKc26 } from '../../../generated/emitterkc26/resource-type.js';
import { LAYOUT_2018, LAYOUT_2020, type Layout } from './layouts.js';

export interface ProfileSpec {
  readonly profile: SchemaProfile;
  readonly layout: Layout;
  /** Names indexed by ordinal. */
  readonly eventTypes: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly operationTypes: readonly string[];
}

/** Name of the wire value used for ordinals no list covers (the schemas' own last value). */
export const UNKNOWN = 'UNKNOWN';

/** A TypeScript numeric enum maps names to values and values back to names; keep the former. */
function namesByOrdinal(enumObject: Readonly<Record<string, string | number>>): readonly string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(enumObject)) {
    if (typeof value === 'number') names[value] = name;
  }
  return Object.freeze(names);
}

function spec(
  profile: SchemaProfile,
  layout: Layout,
  enums: {
    EventType: Readonly<Record<string, string | number>>;
    ResourceType: Readonly<Record<string, string | number>>;
    OperationType: Readonly<Record<string, string | number>>;
  },
): ProfileSpec {
  return Object.freeze({
    profile,
    layout,
    eventTypes: namesByOrdinal(enums.EventType),
    resourceTypes: namesByOrdinal(enums.ResourceType),
    operationTypes: namesByOrdinal(enums.OperationType),
  });
}

export const PROFILES: Readonly<Record<SchemaProfile, ProfileSpec>> = Object.freeze({
  'emitter-2018': spec('emitter-2018', LAYOUT_2018, {
    EventType: EventType2018,
    ResourceType: ResourceType2018,
    OperationType: OperationType2018,
  }),
  'emitter-2020': spec('emitter-2020', LAYOUT_2020, {
    EventType: EventType2020,
    ResourceType: ResourceType2020,
    OperationType: OperationType2020,
  }),
  'emitter-2024-10': spec('emitter-2024-10', LAYOUT_2020, {
    EventType: EventType202410,
    ResourceType: ResourceType202410,
    OperationType: OperationType202410,
  }),
  'emitter-2024-11': spec('emitter-2024-11', LAYOUT_2020, {
    EventType: EventType202411,
    ResourceType: ResourceType202411,
    OperationType: OperationType202411,
  }),
  'emitter-kc26': spec('emitter-kc26', LAYOUT_2020, {
    EventType: EventTypeKc26,
    ResourceType: ResourceTypeKc26,
    OperationType: OperationTypeKc26,
  }),
});

/**
 * The name of an enum byte. The emitter writes UNKNOWN for ordinals its list lacks but writes
 * operationType unchecked, and a forged byte may be anything (negative included): all of those
 * are UNKNOWN rather than an error, as the event itself is still worth relaying.
 */
export function enumName(names: readonly string[], ordinal: number): string {
  return (Number.isInteger(ordinal) && ordinal >= 0 ? names[ordinal] : undefined) ?? UNKNOWN;
}

/**
 * The profile to use when a body turns out to have the other AdminEvent layout: the build closest
 * in time across the 2018/2020 boundary, whose enum ordinals are the likeliest to match.
 */
export function nearestProfileOfOtherLayout(profile: SchemaProfile): SchemaProfile {
  return PROFILES[profile].layout === LAYOUT_2018 ? 'emitter-2020' : 'emitter-2018';
}
