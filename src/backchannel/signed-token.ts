// What the three token intakes (back-channel logout, Phase Two bearer webhooks, SSF pushes) verify
// alike: the unverified `iss` picks one of TOKEN_ISSUERS (checked before any key is fetched), the
// header's `typ` must be the intake's, then jose checks the signature with that issuer's keys and an
// allow-list of asymmetric algorithms, `iss`, `aud` (one of the issuer's audiences), `exp`/`nbf`
// with the skew, and the claims the intake requires. Each refusal says which kind it is; the intake
// turns it into its own code. Nothing here has side effects beyond fetching the issuer's keys.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { IssuerKeys, KeysUnavailable } from './issuer-keys.js';
import type { IssuerConfig } from './issuers.js';

/** An issuer of TOKEN_ISSUERS with its key cache, shared by every intake. */
export interface TrustedIssuer {
  config: IssuerConfig;
  keys: Pick<IssuerKeys, 'resolve'>;
}

/** One key cache per configured issuer: a key rotation seen by one intake serves the others. */
export function trustedIssuers(issuers: readonly IssuerConfig[], cooldownMs: number): TrustedIssuer[] {
  return issuers.map((config) => ({ config, keys: new IssuerKeys(config, { cooldownMs }) }));
}

export type TokenRefusalKind =
  /** Not a compact JWS with a JSON header and payload. */
  | 'malformed'
  /** `iss` is not a configured issuer. */
  | 'issuer'
  /** The header's `typ` is not the intake's. */
  | 'type'
  /** No key of the issuer for the token (unknown `kid`, keys unreachable). */
  | 'key'
  /** Signature wrong, or an algorithm outside the allow-list (`none`, HMAC). */
  | 'signature'
  /** `aud` names none of the issuer's audiences. */
  | 'audience'
  /** Another claim failed: `exp`, `nbf`, a required claim missing. */
  | 'claims';

export class TokenRefusal extends Error {
  constructor(
    readonly kind: TokenRefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefusal';
  }
}

export interface TokenPolicy {
  /** Whether the header's `typ` (undefined when absent) is one this intake accepts. */
  typ: (typ: unknown) => boolean;
  requiredClaims: readonly string[];
}

export interface VerifiedToken {
  issuer: IssuerConfig;
  header: ProtectedHeaderParameters;
  payload: JWTPayload;
}

export interface TokenCheckOptions {
  issuers: readonly TrustedIssuer[];
  algorithms: readonly string[];
  clockSkewS: number;
  now?: () => number;
}

export class SignedTokenCheck {
  private readonly byIssuer: Map<string, TrustedIssuer>;
  readonly now: () => number;

  constructor(readonly options: TokenCheckOptions) {
    this.byIssuer = new Map(options.issuers.map((i) => [i.config.issuer, i]));
    this.now = options.now ?? Date.now;
  }

  /** Throws TokenRefusal only. */
  async verify(token: string, policy: TokenPolicy): Promise<VerifiedToken> {
    let unverified: JWTPayload;
    let header: ProtectedHeaderParameters;
    try {
      unverified = decodeJwt(token);
      header = decodeProtectedHeader(token);
    } catch (err) {
      throw new TokenRefusal('malformed', `not a JWT (${(err as Error).message})`);
    }
    const issuer = typeof unverified.iss === 'string' ? this.byIssuer.get(unverified.iss) : undefined;
    if (!issuer) throw new TokenRefusal('issuer', `iss ${JSON.stringify(unverified.iss ?? null).slice(0, 200)} is not configured`);
    // Another kind of JWT of the same issuer (an access token, another intake's token) never passes.
    if (!policy.typ(header.typ)) throw new TokenRefusal('type', `header typ ${JSON.stringify(header.typ ?? null).slice(0, 100)}`);
    const { config } = issuer;
    try {
      const { payload } = await jwtVerify(token, issuer.keys.resolve, {
        issuer: config.issuer,
        audience: [...config.audiences],
        algorithms: [...this.options.algorithms],
        clockTolerance: this.options.clockSkewS,
        currentDate: new Date(this.now()),
        requiredClaims: [...policy.requiredClaims],
      });
      return { issuer: config, header, payload };
    } catch (err) {
      throw refusalOf(err);
    }
  }

  /** `iat` (epoch seconds) not beyond the skew in the future: jose checks it only when asked for a maximum age. */
  iatInFuture(iat: number): boolean {
    return iat > Math.floor(this.now() / 1000) + this.options.clockSkewS;
  }
}

/** jose's verdicts as refusal kinds: claim-level ones first, then signature-level ones. */
function refusalOf(err: unknown): TokenRefusal {
  if (err instanceof KeysUnavailable) return new TokenRefusal('key', err.message);
  if (err instanceof errors.JWTExpired) return new TokenRefusal('claims', `expired (${err.claim}: ${err.message})`);
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new TokenRefusal(err.claim === 'aud' ? 'audience' : 'claims', `${err.claim}: ${err.message}`);
  }
  return new TokenRefusal('signature', (err as Error).message ?? String(err));
}
