// HTTP Basic authentication of the emitter: username = the Keycloak node's host name, password =
// the shared secret, compared in constant time (./secrets.ts).
import { matchesDigest, secretDigest } from './secrets.js';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** The credentials of an `Authorization: Basic …` header, or null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (!header) return null;
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** An accepted header names its node; a refused one says what was sent (for the throttle and the log). */
export type BasicCheck = { node: string } | { node: null; credentials: BasicCredentials | null };

/** Distinct accepted headers remembered: one per Keycloak node, so far more than a cluster has. */
const ACCEPTED_HEADERS_MAX = 256;

export class BasicAuthenticator {
  private readonly allowed: ReadonlySet<string> | null;
  /** The secret's digest, computed once: every request compares against it. */
  private readonly secretDigest: Buffer;
  /**
   * Authorization headers that passed the check, with their node: each node sends the same header
   * on every request, so the base64 decode and the hash run once per node, not per event. Only
   * correct credentials enter it (a wrong guess cannot fill it), and a lookup reveals nothing a
   * 200 would not: an exact match of the whole header.
   */
  private readonly accepted = new Map<string, string>();

  constructor(secret: string, usernames: readonly string[] | undefined) {
    this.allowed = usernames && usernames.length > 0 ? new Set(usernames) : null;
    this.secretDigest = secretDigest(secret);
  }

  /** Whether `username` is one of AUTH_USERNAMES (false when the list is unset: any name is accepted, none is known). */
  isListed(username: string): boolean {
    return this.allowed !== null && this.allowed.has(username);
  }

  /** Checks an `Authorization` header: the same answer as authenticate(parseBasicAuth(header)). */
  check(header: string | undefined): BasicCheck {
    if (header === undefined) return { node: null, credentials: null };
    const known = this.accepted.get(header);
    if (known !== undefined) return { node: known };
    const credentials = parseBasicAuth(header);
    const node = this.authenticate(credentials);
    if (node === null) return { node: null, credentials };
    if (this.accepted.size >= ACCEPTED_HEADERS_MAX) this.accepted.clear();
    this.accepted.set(header, node);
    return { node };
  }

  /** The authenticated node name, or null. The secret is checked even for unknown users (no user probing by timing). */
  authenticate(credentials: BasicCredentials | null): string | null {
    if (!credentials) return null;
    const secretOk = matchesDigest(credentials.password, this.secretDigest);
    const userOk = this.allowed === null || this.allowed.has(credentials.username);
    return secretOk && userOk && credentials.username.length > 0 ? credentials.username : null;
  }
}
