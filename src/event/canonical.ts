// The canonical event: what is stored, forwarded and inspected (docs/contract.md). Every decoder
// produces exactly this shape; absent values are null, `details` is {} when absent.

export type EventKind = 'event' | 'admin';
export type BodyFormat = 'json' | 'flatbuffer';

export const SCHEMA_PROFILES = ['emitter-2018', 'emitter-2020', 'emitter-2024-10', 'emitter-2024-11', 'emitter-kc26'] as const;
export type SchemaProfile = (typeof SCHEMA_PROFILES)[number];

export interface AuthDetails {
  realmId: string | null;
  clientId: string | null;
  userId: string | null;
  username: string | null;
  ipAddress: string | null;
}

/** The enum bytes of a FlatBuffer body as received: `type` for an Event, the other two for an AdminEvent. */
export type EnumBytes = Partial<Record<'type' | 'resourceType' | 'operationType', number>>;

export interface EventSource {
  /** Basic-auth username: the Keycloak node's host name. */
  node: string;
  format: BodyFormat;
  /** FlatBuffer profile (table layout) used to decode; null for JSON bodies. */
  schema: SchemaProfile | null;
  /** Keycloak release whose enum ordinals named the FlatBuffer bytes (KEYCLOAK_VERSION); null for JSON bodies. */
  keycloak: string | null;
  /** The FlatBuffer enum bytes as received, so that an UNKNOWN can be traced; null for JSON bodies. */
  enumBytes: EnumBytes | null;
  /** true when the body had no uid and the relay assigned one. */
  uidAssigned: boolean;
  /** Snowflake fields of the uid (emitter layout). */
  datacenterId: number;
  keycloakId: number;
  sequence: number;
}

export interface CanonicalEvent {
  /** Signed 64-bit snowflake as a decimal string: never a JS number. */
  uid: string;
  kind: EventKind;
  /** Keycloak's own event time, epoch ms. */
  time: number | null;
  /** Time encoded in the uid, ISO-8601. */
  emittedAt: string;
  type: string | null;
  operationType: string | null;
  resourceType: string | null;
  resourcePath: string | null;
  representation: string | null;
  realmId: string | null;
  clientId: string | null;
  userId: string | null;
  sessionId: string | null;
  ipAddress: string | null;
  error: string | null;
  details: Record<string, string | null>;
  authDetails: AuthDetails | null;
  source: EventSource;
  receivedAt: string;
  /** true when the uid is older than DEDUP_WINDOW: stored, but outside deduplication's reach. */
  late: boolean;
}
