// Phase Two's webhook signature: `X-Keycloak-Signature` is the lowercase hex HMAC of the raw body
// bytes under the webhook's secret, HmacSHA256 unless the webhook names HmacSHA1 (40 hex digits
// instead of 64), no prefix. Every configured secret is tried (a rotation has two), each compared in
// constant time, and all of them whatever the first gave, so the answer time tells nothing.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What PHASETWO_ALGORITHMS may name: Phase Two's own names for its HMACs. */
export const HMAC_ALGORITHMS = ['HmacSHA256', 'HmacSHA1'] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];

const DIGEST: Record<HmacAlgorithm, { node: string; hexLength: number }> = {
  HmacSHA256: { node: 'sha256', hexLength: 64 },
  HmacSHA1: { node: 'sha1', hexLength: 40 },
};

export type SignatureVerdict =
  | { ok: true }
  /** Why, for the log only: the answer says nothing more than "refused". */
  | { ok: false; why: string };

export class PhaseTwoSignature {
  private readonly keys: Buffer[];

  constructor(
    secrets: readonly string[],
    private readonly algorithms: readonly HmacAlgorithm[],
  ) {
    // p2 turns its secret into bytes with the JVM's default charset, UTF-8 on Java 18+ (Keycloak 26).
    this.keys = secrets.map((s) => Buffer.from(s, 'utf8'));
  }

  verify(header: string, body: Buffer): SignatureVerdict {
    const value = header.trim().toLowerCase();
    const algorithm = (Object.keys(DIGEST) as HmacAlgorithm[]).find((a) => DIGEST[a].hexLength === value.length);
    if (algorithm === undefined || !/^[0-9a-f]+$/.test(value)) return { ok: false, why: 'not 40 or 64 hex digits' };
    if (!this.algorithms.includes(algorithm)) return { ok: false, why: `${algorithm} is not in PHASETWO_ALGORITHMS` };
    const given = Buffer.from(value, 'hex');
    let matched = false;
    for (const key of this.keys) {
      const expected = createHmac(DIGEST[algorithm].node, key).update(body).digest();
      matched = timingSafeEqual(expected, given) || matched;
    }
    return matched ? { ok: true } : { ok: false, why: `no secret gives this ${algorithm}` };
  }
}
