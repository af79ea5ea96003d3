// Per emitter build (FLATBUFFERS_SCHEMA profile): its table layout, where its enum lists put UNKNOWN,
// and the Keycloak release it is assumed to run on when KEYCLOAK_VERSION is unset. The names of enum
// bytes come from that Keycloak release (enum-naming.ts), not from the build's schema lists: the
// lists are copies Keycloak later inserted constants into. UNKNOWN's position comes from the
// flatc-generated enums, so schema/*.fbs stays the single source.
import type { SchemaProfile } from '../../event/canonical.js';
import { EventType as EventType2018 } from '../../../generated/emitter2018/event-type.js';
import { ResourceType as ResourceType2018 } from '../../../generated/emitter2018/resource-type.js';
import { EventType as EventType2020 } from '../../../generated/emitter2020/event-type.js';
import { ResourceType as ResourceType2020 } from '../../../generated/emitter2020/resource-type.js';
import { EventType as EventType202410 } from '../../../generated/emitter202410/event-type.js';
import { ResourceType as ResourceType202410 } from '../../../generated/emitter202410/resource-type.js';
import { EventType as EventType202411 } from '../../../generated/emitter202411/event-type.js';
import { ResourceType as ResourceType202411 } from '../../../generated/emitter202411/resource-type.js';
import { EventType as EventTypeKc26 } from '../../../generated/emitterkc26/event-type.js';
import { ResourceType as ResourceTypeKc26 } from '../../../generated/emitterkc26/resource-type.js';
import { resolveKeycloakVersion, type KeycloakEnums } from '../keycloak/keycloak-versions.js';
import { LAYOUT_2018, LAYOUT_2020, type Layout } from './layouts.js';

export interface ProfileSpec {
  readonly profile: SchemaProfile;
  readonly layout: Layout;
  /**
   * The byte the build writes for a Keycloak constant its list lacks: the list's last value,
   * UNKNOWN. Ordinals from it on are written as it. OperationType has no UNKNOWN: written unchecked.
   */
  readonly unknownEventType: number;
  readonly unknownResourceType: number;
  /** The newest Keycloak release the build shipped for (docs/emitter-formats.md). */
  readonly defaultKeycloak: string;
}

/** The name stored for a byte that names no constant of the Keycloak release. */
export const UNKNOWN = 'UNKNOWN';

interface GeneratedEnum {
  readonly UNKNOWN: number;
}

function spec(
  profile: SchemaProfile,
  layout: Layout,
  eventType: GeneratedEnum,
  resourceType: GeneratedEnum,
  defaultKeycloak: string,
): ProfileSpec {
  return Object.freeze({
    profile,
    layout,
    unknownEventType: eventType.UNKNOWN,
    unknownResourceType: resourceType.UNKNOWN,
    defaultKeycloak,
  });
}

export const PROFILES: Readonly<Record<SchemaProfile, ProfileSpec>> = Object.freeze({
  'emitter-2018': spec('emitter-2018', LAYOUT_2018, EventType2018, ResourceType2018, '8.0.1'),
  'emitter-2020': spec('emitter-2020', LAYOUT_2020, EventType2020, ResourceType2020, '8.0.1'),
  'emitter-2024-10': spec('emitter-2024-10', LAYOUT_2020, EventType202410, ResourceType202410, '20.0.5'),
  'emitter-2024-11': spec('emitter-2024-11', LAYOUT_2020, EventType202411, ResourceType202411, '20.0.5'),
  'emitter-kc26': spec('emitter-kc26', LAYOUT_2020, EventTypeKc26, ResourceTypeKc26, '26.2.4'),
});

/**
 * The profile to use when a body turns out to have the other AdminEvent layout: the build closest
 * in time across the 2018/2020 boundary. Only its layout and UNKNOWN positions are taken from it;
 * the Keycloak release naming the bytes stays the one configured for the sender.
 */
export function nearestProfileOfOtherLayout(profile: SchemaProfile): SchemaProfile {
  return PROFILES[profile].layout === LAYOUT_2018 ? 'emitter-2020' : 'emitter-2018';
}

/** The Keycloak release a build's bytes are named by when KEYCLOAK_VERSION is unset. */
export function defaultKeycloak(profile: SchemaProfile): KeycloakEnums {
  const release = PROFILES[profile].defaultKeycloak;
  const found = resolveKeycloakVersion(release);
  if (!found) throw new Error(`${profile}: default Keycloak ${release} is not in keycloak-enums.json`);
  return found;
}
