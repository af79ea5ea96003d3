// Security Event Tokens pushed by an SSF transmitter (RFC 8417, RFC 8935), as Keycloak's builds
// them: header typ `secevent+jwt`, an asymmetric signature by the realm's key, claims jti, iss, iat,
// aud, events (no exp). Verified as every token is (./signed-token.ts: issuer, typ, signature with
// BACKCHANNEL_ALGORITHMS, aud among the issuer's audiences), then its age: `iat` not beyond the
// skew in the future, and not older than SSF_MAX_SET_AGE (above the transmitter's retry schedule,
// so that a SET it still retries is never refused for its age). Each refusal is a coded KcrError
// whose message is for the log; the route answers a fixed description per code.
import { KCR_ERR_SSF_AUDIENCE, KCR_ERR_SSF_ISSUER, KCR_ERR_SSF_KEY, KCR_ERR_SSF_REQUEST, type KcrError } from '../errors.js';
import type { VerifiedSet } from '../decode/security-event.js';
import { realmOfIssuer } from '../logout/issuer-realm.js';
import { SignedTokenCheck, TokenRefusal, type TokenCheckOptions, type TokenPolicy, type TokenRefusalKind } from './signed-token.js';

const SET_TYPES = new Set(['secevent+jwt', 'application/secevent+jwt']);

const SECURITY_EVENT_TOKEN: TokenPolicy = {
  // Required (RFC 8417 2.3): a SET must never pass for another kind of JWT, nor the reverse.
  typ: (typ) => typeof typ === 'string' && SET_TYPES.has(typ.toLowerCase()),
  requiredClaims: ['iat', 'jti', 'events'],
};

/** RFC 8935's error codes by refusal kind: a wrong or unusable key, and an unsigned SET, are `invalid_key`. */
const CODE_OF: Record<TokenRefusalKind, (why: string) => KcrError> = {
  malformed: KCR_ERR_SSF_REQUEST,
  issuer: KCR_ERR_SSF_ISSUER,
  type: (why) => KCR_ERR_SSF_REQUEST(`${why} is not secevent+jwt`),
  key: KCR_ERR_SSF_KEY,
  signature: KCR_ERR_SSF_KEY,
  audience: KCR_ERR_SSF_AUDIENCE,
  claims: KCR_ERR_SSF_REQUEST,
};

export class SecurityEventTokenVerifier {
  private readonly check: SignedTokenCheck;

  constructor(
    options: TokenCheckOptions,
    /** SSF_MAX_SET_AGE. */
    private readonly maxAgeMs: number,
  ) {
    this.check = new SignedTokenCheck(options);
  }

  /** Throws the KcrError to answer (a 400). */
  async verify(token: string): Promise<VerifiedSet> {
    let verified;
    try {
      verified = await this.check.verify(token, SECURITY_EVENT_TOKEN);
    } catch (err) {
      if (err instanceof TokenRefusal) throw CODE_OF[err.kind](err.message);
      throw err;
    }
    const { payload, issuer } = verified;
    const iat = payload.iat as number;
    if (this.check.iatInFuture(iat)) throw KCR_ERR_SSF_REQUEST(`iat ${iat} is in the future`);
    if (this.check.now() - iat * 1000 > this.maxAgeMs + this.check.options.clockSkewS * 1000) {
      throw KCR_ERR_SSF_REQUEST(`iat ${iat} is older than SSF_MAX_SET_AGE`);
    }
    return {
      issuer: issuer.issuer,
      realmId: issuer.realmId ?? realmOfIssuer(issuer.issuer),
      payload,
      // Verified above: three segments, the second a JSON object.
      payloadText: Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'),
    };
  }
}
