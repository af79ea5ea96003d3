// The canonical event: what is stored, forwarded and inspected (docs/contract.md). Every decoder
// produces exactly this shape; absent values are null, `details` is {} when absent.

/** `security-event`: a Security Event Token pushed by an SSF transmitter (POST /ssf/push). */
export type EventKind = 'event' | 'admin' | 'security-event';
/** The emitter's two formats, a Phase Two webhook's JSON, an SSF Security Event Token. */
export type BodyFormat = 'json' | 'flatbuffer' | 'phasetwo' | 'ssf';

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

/** Phase Two's `authDetails` as sent: its `realmId` holds a realm NAME (`master`), not an id. */
export interface PhaseTwoAuthDetails {
  realmId: string | null;
  clientId: string | null;
  userId: string | null;
  ipAddress: string | null;
  username: string | null;
  sessionId: string | null;
}

/** What a Phase Two webhook carried beside the canonical fields: its ids and its own names. */
export interface PhaseTwoOrigin {
  /** Keycloak's event id: the same for every webhook and every resend (the dedup key when present). */
  id: string | null;
  /** Phase Two's delivery id: one per webhook per event, repeated by its retries and resends. */
  uid: string | null;
  /** Its type as sent: `access.<EventType>` or `admin.<resourceType>-<operationType>`. */
  type: string;
  realmName: string | null;
  resourceId: string | null;
  authDetails: PhaseTwoAuthDetails | null;
}

/** Where a Security Event Token came from, and its own ids. */
export interface SecurityEventOrigin {
  /** The SET's `iss`: the transmitter's realm URL. */
  issuer: string;
  /** The SET's `jti` (the dedup key) and `txn` (the Keycloak transaction that raised it, or null). */
  jti: string;
  txn: string | null;
}

export interface EventSource {
  /** The emitter: the Basic-auth username, the Keycloak node's host name; else `phasetwo` or `ssf`, the sender. */
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
  /** Phase Two webhooks only. */
  phasetwo?: PhaseTwoOrigin;
  /** SSF pushes only. */
  ssf?: SecurityEventOrigin;
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
