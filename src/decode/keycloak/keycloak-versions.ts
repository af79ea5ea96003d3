// Which Keycloak release names the enum bytes of FlatBuffer bodies (KEYCLOAK_VERSION). The emitter
// writes `(byte) keycloakEnum.ordinal()` of the Keycloak it runs in, and Keycloak inserted constants
// in the middle of its enums over the years, so a byte means what the running release's list says.
// The lists themselves are data (keycloak-enums.json, with where each was read).
import data from './keycloak-enums.json' with { type: 'json' };

export interface KeycloakEnums {
  /** The release whose lists these are, e.g. "20.0.5". */
  readonly release: string;
  /** Where the lists were read (tag or branch and commit). */
  readonly readAt: string;
  /** Constant names indexed by Java ordinal. */
  readonly eventTypes: readonly string[];
  readonly operationTypes: readonly string[];
  readonly resourceTypes: readonly string[];
}

interface ReleaseEntry {
  version: string;
  readAt: string;
  lists: string;
}

interface Lists {
  EventType: string[];
  OperationType: string[];
  ResourceType: string[];
}

const LISTS = data.lists as Record<string, Lists>;

const RELEASES: readonly KeycloakEnums[] = Object.freeze(
  (data.releases as ReleaseEntry[]).map((entry) => {
    const lists = LISTS[entry.lists];
    if (!lists) throw new Error(`keycloak-enums.json: release ${entry.version} names missing lists ${entry.lists}`);
    return Object.freeze({
      release: entry.version,
      readAt: entry.readAt,
      eventTypes: Object.freeze([...lists.EventType]),
      operationTypes: Object.freeze([...lists.OperationType]),
      resourceTypes: Object.freeze([...lists.ResourceType]),
    });
  }),
);

/** The releases whose lists are known, oldest first. */
export const KNOWN_KEYCLOAK_RELEASES: readonly string[] = Object.freeze(RELEASES.map((r) => r.release));

const VERSION = /^(\d{1,3})(?:\.(\d{1,3})(?:\.(\d{1,3}))?)?(?:\.Final)?$/i;
const majorOf = (release: string): string => release.split('.')[0] as string;

/**
 * The lists for a release (`20.0.5`, `3.4.3.Final`) or a major (`20`): the release itself when
 * known, else the newest known release of that major. Keycloak has never changed these enums
 * within a major in the releases read, and within one major the known releases agree. A major
 * with no known release is null: its lists cannot be guessed, as Keycloak inserted constants
 * mid-list in several majors (7, 13, 25 and 26 among them).
 */
export function resolveKeycloakVersion(text: string): KeycloakEnums | null {
  const match = VERSION.exec(text.trim());
  if (!match) return null;
  const [, major, minor, patch] = match;
  const exact = minor !== undefined && patch !== undefined ? `${Number(major)}.${Number(minor)}.${Number(patch)}` : null;
  const sameMajor = RELEASES.filter((r) => majorOf(r.release) === String(Number(major)));
  return sameMajor.find((r) => r.release === exact) ?? sameMajor.at(-1) ?? null;
}

/** The majors an operator may give, for error messages: "3, 4, 6, 8, …". */
export function knownKeycloakMajors(): string {
  return [...new Set(RELEASES.map((r) => majorOf(r.release)))].join(', ');
}
