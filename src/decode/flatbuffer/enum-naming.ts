// The names of a FlatBuffer body's enum bytes. The emitter writes `(byte) constant.ordinal()` of the
// Keycloak it runs in when the ordinal is below its schema list's UNKNOWN, else UNKNOWN; it writes
// operationType unchecked. So a byte below UNKNOWN is named by the running Keycloak's list, and
// UNKNOWN (or any byte no constant has, as a forged body may carry) can only be stored as UNKNOWN:
// which constant it stood for is not in the body.
import type { KeycloakEnums } from '../keycloak/keycloak-versions.js';
import { UNKNOWN, type ProfileSpec } from './profiles.js';

export interface EnumNaming {
  /** The Keycloak release whose ordinals name the bytes. */
  readonly keycloak: string;
  eventType(byte: number): string;
  resourceType(byte: number): string;
  operationType(byte: number): string;
}

/** Names for bytes 0..127 (a signed byte's non-negative half); `limit` is the first byte never named. */
function table(names: readonly string[], limit: number): readonly string[] {
  return Object.freeze(Array.from({ length: Math.min(limit, names.length) }, (_, byte) => names[byte] as string));
}

const lookup =
  (names: readonly string[]) =>
  (byte: number): string =>
    names[byte] ?? UNKNOWN;

function build(spec: ProfileSpec, keycloak: KeycloakEnums): EnumNaming {
  return Object.freeze({
    keycloak: keycloak.release,
    eventType: lookup(table(keycloak.eventTypes, spec.unknownEventType)),
    resourceType: lookup(table(keycloak.resourceTypes, spec.unknownResourceType)),
    operationType: lookup(table(keycloak.operationTypes, keycloak.operationTypes.length)),
  });
}

// A handful of (profile, release) pairs exist per process: built once each, then shared.
const cache = new Map<string, EnumNaming>();

export function enumNaming(spec: ProfileSpec, keycloak: KeycloakEnums): EnumNaming {
  const key = `${spec.profile}|${keycloak.release}`;
  let naming = cache.get(key);
  if (!naming) {
    naming = build(spec, keycloak);
    cache.set(key, naming);
  }
  return naming;
}
