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

export class BasicAuthenticator {
  private readonly allowed: ReadonlySet<string> | null;
  /** The secret's digest, computed once: every request compares against it. */
  private readonly secretDigest: Buffer;

  constructor(secret: string, usernames: readonly string[] | undefined) {
    this.allowed = usernames && usernames.length > 0 ? new Set(usernames) : null;
    this.secretDigest = secretDigest(secret);
  }

  /** Whether `username` is one of AUTH_USERNAMES (false when the list is unset: any name is accepted, none is known). */
  isListed(username: string): boolean {
    return this.allowed !== null && this.allowed.has(username);
  }

  /** The authenticated node name, or null. The secret is checked even for unknown users (no user probing by timing). */
  authenticate(credentials: BasicCredentials | null): string | null {
    if (!credentials) return null;
    const secretOk = matchesDigest(credentials.password, this.secretDigest);
    const userOk = this.allowed === null || this.allowed.has(credentials.username);
    return secretOk && userOk && credentials.username.length > 0 ? credentials.username : null;
  }
}
