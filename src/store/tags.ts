// Tags: what a caller knows about an event at ingest (a pure function of it, given to the store),
// stored with its entry so that a consumer group created `only` for a tag is handed the entries
// that carry it without parsing any event. An entry says of each tag "1" or "0"; a tag it does not
// name (an entry written before the tag existed) is unknown, and handed, so nothing is ever skipped
// on a guess. Redis keeps each tag as a field of the stream entry after `uid` and `event`; the
// embedded store as the text encodeTags makes, in a column.
import type { CanonicalEvent } from '../event/canonical.js';
import { KCR_ERR_CONFIG } from '../errors.js';

export type Tags = Readonly<Record<string, boolean>>;

/** Pure, cheap (it runs on every append), and the same on every replica. */
export type TagsOf = (event: CanonicalEvent) => Tags;

export interface Tagging {
  tagsOf: TagsOf;
  /**
   * The one tag relays before tags recorded, and the group that read only entries carrying it:
   * their embedded column (`ends_sessions`, schema versions 2 to 4) becomes this tag, and the group
   * keeps its filter before its consumer creates it again. Their Redis entries already name the tag
   * as a field.
   */
  legacy?: { tag: string; group: string };
}

/** Letters, digits, `_.-`, starting with a letter; never a stream entry's own fields. */
const TAG_NAME = /^[a-z][\w.-]*$/i;
const RESERVED = new Set(['uid', 'event']);

export function checkTag(tag: string): string {
  if (!TAG_NAME.test(tag) || RESERVED.has(tag)) throw KCR_ERR_CONFIG(`- tag "${tag}": letters, digits, _.- only, not uid or event`);
  return tag;
}

/** `,a=1,b=0,`: one text for a column, and a pattern (lacking) that finds a tag's "0" in it. */
export function encodeTags(tags: Tags): string {
  const pairs = Object.entries(tags).map(([tag, on]) => `${checkTag(tag)}=${on ? 1 : 0}`);
  return pairs.length === 0 ? '' : `,${pairs.join(',')},`;
}

/** What encodeTags holds when an entry is known not to carry `tag`. */
export function lacking(tag: string): string {
  return `,${tag}=0,`;
}

/** Whether an entry with these encoded tags (null: written without any) is known not to carry `tag`. */
export function lacksTag(encoded: string | null, tag: string): boolean {
  return encoded !== null && encoded.includes(lacking(tag));
}
