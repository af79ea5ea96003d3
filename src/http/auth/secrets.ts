// Constant-time comparison of secrets (the emitter's Basic password, bearer tokens): both sides are
// hashed with SHA-256 first, so neither the secret's content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

export const secretDigest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** Whether `given` hashes to `expectedDigest` (a secretDigest computed once, at start-up). */
export function matchesDigest(given: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(secretDigest(given), expectedDigest);
}
