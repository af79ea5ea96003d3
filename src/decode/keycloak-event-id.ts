// What deduplicates an event by Keycloak's own event id (Keycloak 26.2+ gives each saved event one),
// whichever way it came: Phase Two's webhook carries it as `id`, the catch-up from Keycloak's admin
// API (src/sources/keycloak/) reads it there. Both intakes form the key here, so that the same
// Keycloak event is stored once, whichever arrives first. The `phasetwo:` prefix is the one p2's
// intake wrote first: kept, so dedup records written before the catch-up existed still match. Pure.
import { createHash } from 'node:crypto';

/** Digested to a fixed size, never decimal (so never taken for a uid); namespaced by what the id is. */
export function idDedupKey(kind: 'id' | 'uid', value: string): string {
  return `phasetwo:${kind}:${createHash('sha256').update(value).digest('base64url')}`;
}

/**
 * The dedup key of a Keycloak event id, with the time its window counts from: the event's time,
 * capped at `latestMs` (the relay's clock plus MAX_CLOCK_SKEW), so that a far-future time cannot
 * keep a dedup record alive for years.
 */
export function keycloakEventDedupKey(id: string, timeMs: number, latestMs: number): { key: string; timeMs: number } {
  return { key: idDedupKey('id', id), timeMs: Math.min(timeMs, latestMs) };
}
