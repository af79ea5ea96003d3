// Revocation keys (docs/key-layout.md): one string key per scope, `<prefix>{rv:<realm>}:<scope>`.
// The hash tag keeps a realm's keys in one Redis Cluster slot, so one MGET (or one Lua script)
// reaches every scope a token falls in; realms spread over the slots.
import type { Revocation } from '../revocation.js';

/** The prefix of every revocation key of a realm; the realm id is URI-encoded so `{`/`}` in it cannot move the hash tag. */
export function realmKeyBase(prefix: string, realmId: string): string {
  return `${prefix}{rv:${encodeURIComponent(realmId)}}:`;
}

export function revocationKey(prefix: string, revocation: Revocation): string {
  return realmKeyBase(prefix, revocation.realmId) + revocation.scope;
}
