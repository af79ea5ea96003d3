// Constant-time comparison of secrets (the emitter's Basic password, bearer tokens): both sides are
// hashed with SHA-256 first, so neither the secret's content nor its length leaks through timing.
import { hash, timingSafeEqual } from 'node:crypto';

/** One-shot hash: no Hash object per request. */
export const secretDigest = (secret: string): Buffer => hash('sha256', secret, 'buffer');

/** Whether `given` hashes to `expectedDigest` (a secretDigest computed once, at start-up). */
export function matchesDigest(given: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(secretDigest(given), expectedDigest);
}
