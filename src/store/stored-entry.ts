// A ring buffer entry as both stores hand it out. Its event is parsed from the stored bytes only
// when someone reads it: forwarding sends the bytes as they are and names them by uid, so a
// destination without a filter delivers without a JSON.parse (and its garbage) per event.
import type { CanonicalEvent } from '../event/canonical.js';
import type { StoredEntry } from './event-store.js';

/** `uid` when the store keeps it beside the bytes; otherwise it is read from the event. */
export function storedEntry(id: string, body: string, deliveries: number, uid?: string): StoredEntry {
  let event: CanonicalEvent | undefined;
  return {
    id,
    body,
    deliveries,
    get event(): CanonicalEvent {
      return (event ??= JSON.parse(body) as CanonicalEvent);
    },
    get uid(): string {
      return uid ?? this.event.uid;
    },
  };
}
