// A catch-up source as the stage reads it: what src/config/keycloak-sources.ts validates each entry
// of KEYCLOAK_SOURCES into.

export interface KeycloakSource {
  /** Names the source in metrics, logs, the status page and the store's checkpoint and lease. */
  name: string;
  /** Keycloak's base URL, without a trailing slash (`https://kc.example`, or `…/auth` before Keycloak 17). */
  baseUrl: string;
  /** The realm's name, as in its URLs. */
  realm: string;
  /** A confidential client of that realm with a service account holding realm-management's `view-events`. */
  clientId: string;
  clientSecret: string;
  intervalMs: number;
  userEvents: boolean;
  adminEvents: boolean;
  /** Where the first run starts (epoch ms); null: DEDUP_WINDOW before the first run. */
  since: number | null;
  /** Events asked for per request (`max`). */
  pageSize: number;
  /** Events stored per list per run at most; a run that reaches it goes on at once, in a new run. */
  maxPerRun: number;
  /** How far behind its checkpoint each run reads again, for events Keycloak committed late (see paging.ts). */
  overlapMs: number;
}

/** The relay settings the catch-up reads beside its sources (named as in the configuration, which the edge passes). */
export interface CatchUpSettings {
  KEYCLOAK_SOURCES: readonly KeycloakSource[];
  DEDUP_WINDOW: number;
  MAX_CLOCK_SKEW: number;
  BUFFER_CAPACITY: number;
  BUFFER_MAX_BYTES: number;
}
