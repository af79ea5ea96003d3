// What each body decoder (JSON, FlatBuffer) returns: the kind-specific part of the canonical event,
// before uid assignment and validation. decodeEvent (./index.ts) completes it into a CanonicalEvent.
import type { CanonicalEvent, EnumBytes, EventSource, SchemaProfile } from '../event/canonical.js';

export type DecodedFields = Pick<
  CanonicalEvent,
  | 'kind'
  | 'time'
  | 'type'
  | 'operationType'
  | 'resourceType'
  | 'resourcePath'
  | 'representation'
  | 'realmId'
  | 'clientId'
  | 'userId'
  | 'sessionId'
  | 'ipAddress'
  | 'error'
  | 'details'
  | 'authDetails'
> & {
  /** null when the body carries no uid: the caller assigns one. */
  uid: bigint | null;
  /** FlatBuffer profile used; null for JSON bodies. */
  schema: SchemaProfile | null;
  /** Keycloak release whose ordinals named the enum bytes; null for JSON bodies. */
  keycloak: string | null;
  /** The enum bytes as received; null for JSON bodies. */
  enumBytes: EnumBytes | null;
  /** What another sender's body carried beside these fields (source.phasetwo, source.ssf). */
  origin?: Pick<EventSource, 'phasetwo' | 'ssf'>;
};

/** A FlatBuffer body: the JSON wrapper `{"type":"Event"|"AdminEvent","obj":"<base64>"}`, checked for shape only. */
export interface FlatBufferWrapper {
  type: 'Event' | 'AdminEvent';
  /** Not yet checked to be base64: the FlatBuffer decoder owns that check. */
  obj: string;
}
