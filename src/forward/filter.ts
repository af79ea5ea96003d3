// Which events a destination wants: pure matching on the canonical event. Ingest evaluates each
// destination's filter once, as a tag of the stored entry (store/tags.ts), so the store hands the
// destination only what it wants, never parsing the rest; the forwarder still matches what it is
// handed (entries stored before, or by a relay with another filter, are unknown to the tag).
import { createHash } from 'node:crypto';
import type { CanonicalEvent } from '../event/canonical.js';
import type { TagsOf } from '../store/tags.js';
import type { Destination, DestinationFilter } from './destination.js';

/** `LOGIN*` matches LOGIN and LOGIN_ERROR; only `*` is special. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

export type EventPredicate = (event: CanonicalEvent) => boolean;

/** An event's type for filters and targets: an admin event's is its operation on a resource, e.g. USER_DELETE. */
export function eventTypeName(event: CanonicalEvent): string | null {
  // An admin event's "type" is its operation on a resource, e.g. USER_DELETE or CLIENT_*; a
  // security event's is its event type URI (`*session-revoked`).
  return event.kind === 'admin' ? `${event.resourceType ?? ''}_${event.operationType ?? ''}` : event.type;
}

/** The client an event concerns: an admin event's is the admin's (authDetails). */
export function eventClient(event: CanonicalEvent): string | null {
  return event.clientId ?? event.authDetails?.clientId ?? null;
}

/**
 * The destination's predicate; null when no criterion is set, so that every event passes without
 * being parsed. Any field set (a future one too) makes a predicate.
 */
export function compileFilter(filter: DestinationFilter): EventPredicate | null {
  if (Object.values(filter).every((criterion) => criterion === undefined || criterion === false)) return null;
  const types = filter.types?.map(globToRegExp);
  const kinds = filter.kinds ? new Set<string>(filter.kinds) : null;
  const realms = filter.realms ? new Set(filter.realms) : null;
  const clients = filter.clients ? new Set(filter.clients) : null;
  return (event) => {
    if (kinds && !kinds.has(event.kind)) return false;
    if (filter.errorsOnly && event.error === null) return false;
    if (realms && (event.realmId === null || !realms.has(event.realmId))) return false;
    if (clients) {
      const client = eventClient(event);
      if (client === null || !clients.has(client)) return false;
    }
    if (types) {
      const type = eventTypeName(event);
      if (type === null || !types.some((re) => re.test(type))) return false;
    }
    return true;
  };
}

/**
 * The tag of the events `filter` passes; null without a filter. Named after the filter itself, so
 * that replicas agree, and a changed filter is a new tag: entries tagged for the old one are unknown
 * to it, handed, and matched by the forwarder as before.
 */
export function filterTag(filter: DestinationFilter): string | null {
  if (compileFilter(filter) === null) return null;
  const canonical = JSON.stringify(filter, Object.keys(filter).sort());
  return `filter.${createHash('sha256').update(canonical).digest('hex').slice(0, 16)}`;
}

/** Each destination filter's tag, evaluated on the event (destinations with the same filter share one). */
export function filterTagsOf(destinations: readonly Destination[]): TagsOf {
  const predicates = new Map<string, EventPredicate>();
  for (const { filter } of destinations) {
    const tag = filterTag(filter);
    const matches = compileFilter(filter);
    if (tag !== null && matches !== null) predicates.set(tag, matches);
  }
  return (event) => {
    const tags: Record<string, boolean> = {};
    for (const [tag, matches] of predicates) tags[tag] = matches(event);
    return tags;
  };
}
