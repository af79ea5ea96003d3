// How the logout publisher reads the ring buffer: a consumer group created `only` for the tag that
// ingest gives the events that end sessions (the store skips the others without parsing them).
import type { GroupOptions } from '../store/event-store.js';
import type { Tagging } from '../store/tags.js';
import { endsSessions, type TranslateOptions } from './translate.js';

/** The logout publisher's consumer group (`@` keeps it apart from destination names: letters, digits, `_.-`). */
export const LOGOUT_GROUP = '@logout';

/** The tag of events that end sessions: named as the stream field of relays before tags, so that its entries keep their meaning. */
export const ENDS_SESSIONS = 'logout';

export const LOGOUT_GROUP_OPTIONS: GroupOptions = { only: ENDS_SESSIONS };

/** The store's tagging (store/tags.ts): pure, as the publisher translates (SSF_CREDENTIAL_CHANGE decides some). */
export function logoutTagging(options: TranslateOptions): Tagging {
  return {
    tagsOf: (event) => ({ [ENDS_SESSIONS]: endsSessions(event, options) }),
    legacy: { tag: ENDS_SESSIONS, group: LOGOUT_GROUP },
  };
}
