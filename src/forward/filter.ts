// Which events a destination wants: pure matching on the canonical event.
import type { CanonicalEvent } from '../event/canonical.js';
import type { DestinationFilter } from './destination.js';

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
