// A ring buffer entry as both stores hand it out. Its event is parsed from the stored bytes only
// when someone reads it: forwarding sends the bytes as they are and names them by uid, so a
// destination without a filter delivers without a JSON.parse (and its garbage) per event.
import type { CanonicalEvent } from '../event/canonical.js';
import type { StoredEntry } from './event-store.js';

/** `uid` as the store keeps it beside the bytes (written together, in one step). */
export function storedEntry(id: string, uid: string, body: string, deliveries: number): StoredEntry {
  let event: CanonicalEvent | undefined;
  return {
    id,
    uid,
    body,
    deliveries,
    get event(): CanonicalEvent {
      return (event ??= JSON.parse(body) as CanonicalEvent);
    },
  };
}
