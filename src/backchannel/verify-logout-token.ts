// Logout Token validation, OpenID Connect Back-Channel Logout 1.0 section 2.6: issuer, typ,
// signature and `aud` as every token intake checks them (./signed-token.ts), then every claim the
// spec requires. Each refusal is a coded KcrError (400); nothing here has side effects beyond
// fetching the issuer's keys.
import type { JWTPayload } from 'jose';
import {
  KCR_ERR_BACKCHANNEL_CLAIMS,
  KCR_ERR_BACKCHANNEL_ISSUER,
  KCR_ERR_BACKCHANNEL_KEY,
  KCR_ERR_BACKCHANNEL_REQUEST,
  KCR_ERR_BACKCHANNEL_SIGNATURE,
  type KcrError,
} from '../errors.js';
import type { IssuerConfig } from './issuers.js';
import {
  SignedTokenCheck,
  TokenRefusal,
  type TokenCheckOptions,
  type TokenPolicy,
  type TokenRefusalKind,
  type VerifiedToken,
} from './signed-token.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long after its `iat` a token without `exp` is accepted (Keycloak sent no `exp` before 2023). */
export const MAX_AGE_WITHOUT_EXP_S = 300;
/** Header `typ` values of a logout token (explicit typing, spec 2.4) or of any JWT (Keycloak's "JWT"). */
const HEADER_TYPES = new Set(['jwt', 'logout+jwt', 'application/jwt', 'application/logout+jwt']);

export interface VerifiedLogoutToken {
  issuer: IssuerConfig;
  jti: string;
  sub: string | null;
  sid: string | null;
  /** The token's audiences that are among the issuer's configured ones. */
  audiences: string[];
  /** Epoch seconds. */
  iat: number;
  /** Epoch seconds after which the token can no longer verify: its replay marker may go then. */
  validUntil: number;
}

export type VerifierOptions = TokenCheckOptions;

const LOGOUT_TOKEN: TokenPolicy = {
  // Explicit typing (spec 2.4), Keycloak's "JWT", or none.
  typ: (typ) => typ === undefined || (typeof typ === 'string' && HEADER_TYPES.has(typ.toLowerCase())),
  requiredClaims: ['iat', 'jti', 'aud', 'events'],
};

/** Each kind of refusal as this route's code (the others say so in their own terms). */
const CODE_OF: Record<TokenRefusalKind, (why: string) => KcrError> = {
  malformed: (why) => KCR_ERR_BACKCHANNEL_REQUEST(`logout_token is ${why}`),
  issuer: KCR_ERR_BACKCHANNEL_ISSUER,
  type: (why) => KCR_ERR_BACKCHANNEL_CLAIMS(`${why} is not a logout token's`),
  key: KCR_ERR_BACKCHANNEL_KEY,
  signature: KCR_ERR_BACKCHANNEL_SIGNATURE,
  audience: KCR_ERR_BACKCHANNEL_CLAIMS,
  claims: KCR_ERR_BACKCHANNEL_CLAIMS,
};

export class LogoutTokenVerifier {
  private readonly check: SignedTokenCheck;

  constructor(options: VerifierOptions) {
    this.check = new SignedTokenCheck(options);
  }

  async verify(token: string): Promise<VerifiedLogoutToken> {
    let verified: VerifiedToken;
    try {
      verified = await this.check.verify(token, LOGOUT_TOKEN);
    } catch (err) {
      if (err instanceof TokenRefusal) throw CODE_OF[err.kind](err.message);
      throw err;
    }
    return this.checkClaims(verified.payload, verified.issuer, Math.floor(this.check.now() / 1000));
  }

  /** The claims jose does not know about (spec 2.4 and 2.6), on a verified payload. */
  private checkClaims(payload: JWTPayload, config: IssuerConfig, nowS: number): VerifiedLogoutToken {
    const skew = this.check.options.clockSkewS;
    const refuse = (why: string): never => {
      throw KCR_ERR_BACKCHANNEL_CLAIMS(why);
    };
    const events = payload.events;
    if (typeof events !== 'object' || events === null || Array.isArray(events)) refuse('events must be a JSON object');
    const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event))
      refuse(`events must hold ${BACKCHANNEL_LOGOUT_EVENT} as an object`);
    if ('nonce' in payload) refuse('a logout token must not contain nonce');
    // Keycloak's own claim: its access, ID and refresh tokens say "Bearer", "ID", "Refresh".
    if ('typ' in payload && payload.typ !== 'Logout') refuse(`typ claim ${JSON.stringify(payload.typ).slice(0, 100)} is not "Logout"`);
    const sub = optionalText(payload.sub, 'sub');
    const sid = optionalText(payload.sid, 'sid');
    if (sub === null && sid === null) refuse('a logout token needs sub, sid or both');
    const jti = optionalText(payload.jti, 'jti') ?? refuse('jti must be a non-empty string');
    const iat = payload.iat as number;
    if (this.check.iatInFuture(iat)) refuse(`iat ${iat} is more than ${skew} s in the future`);
    const exp = typeof payload.exp === 'number' ? payload.exp : null;
    if (exp === null && nowS - iat > MAX_AGE_WITHOUT_EXP_S + skew) refuse(`iat ${iat} is too old for a token without exp`);
    const aud = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === 'string' && a !== '');
    if (aud.length === 0) refuse('aud must name the client');
    const audiences = aud.filter((a) => config.audiences.includes(a));
    return {
      issuer: config,
      jti,
      sub,
      sid,
      audiences,
      iat,
      validUntil: (exp ?? iat + MAX_AGE_WITHOUT_EXP_S) + skew,
    };
  }
}

function optionalText(value: unknown, claim: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value === '') throw KCR_ERR_BACKCHANNEL_CLAIMS(`${claim} must be a non-empty string`);
  return value;
}
