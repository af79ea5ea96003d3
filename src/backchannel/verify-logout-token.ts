// Logout Token validation, OpenID Connect Back-Channel Logout 1.0 section 2.6: signature (jose,
// with the issuer's published keys and an allow-list of asymmetric algorithms), then every claim
// the spec requires. Each refusal is a coded KcrError (400); nothing here has side effects beyond
// fetching the issuer's keys.
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import {
  KCR_ERR_BACKCHANNEL_CLAIMS,
  KCR_ERR_BACKCHANNEL_ISSUER,
  KCR_ERR_BACKCHANNEL_REQUEST,
  KCR_ERR_BACKCHANNEL_SIGNATURE,
  KcrError,
} from '../errors.js';
import type { IssuerKeys } from './issuer-keys.js';
import type { IssuerConfig } from './issuers.js';

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
  /** The token's audiences this relay accepts for the issuer (all of them when any is accepted). */
  audiences: string[];
  /** Epoch seconds. */
  iat: number;
  /** Epoch seconds after which the token can no longer verify: its replay marker may go then. */
  validUntil: number;
}

export interface VerifierOptions {
  issuers: ReadonlyArray<{ config: IssuerConfig; keys: Pick<IssuerKeys, 'resolve'> }>;
  algorithms: readonly string[];
  clockSkewS: number;
  now?: () => number;
}

export class LogoutTokenVerifier {
  private readonly byIssuer: Map<string, VerifierOptions['issuers'][number]>;
  private readonly now: () => number;

  constructor(private readonly options: VerifierOptions) {
    this.byIssuer = new Map(options.issuers.map((i) => [i.config.issuer, i]));
    this.now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<VerifiedLogoutToken> {
    // The unverified `iss` only picks which keys to try; it is checked again once signed.
    let unverified: JWTPayload;
    let typ: unknown;
    try {
      unverified = decodeJwt(token);
      typ = decodeProtectedHeader(token).typ;
    } catch (err) {
      throw KCR_ERR_BACKCHANNEL_REQUEST(`logout_token is not a JWT (${(err as Error).message})`);
    }
    const issuer = typeof unverified.iss === 'string' ? this.byIssuer.get(unverified.iss) : undefined;
    if (!issuer) throw KCR_ERR_BACKCHANNEL_ISSUER(JSON.stringify(unverified.iss ?? null).slice(0, 200));
    // Another kind of JWT of the same issuer (an access or ID token) must never pass as a logout token.
    if (typ !== undefined && (typeof typ !== 'string' || !HEADER_TYPES.has(typ.toLowerCase()))) {
      throw KCR_ERR_BACKCHANNEL_CLAIMS(`header typ ${JSON.stringify(typ).slice(0, 100)} is not a logout token's`);
    }

    const { config } = issuer;
    const nowS = Math.floor(this.now() / 1000);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys.resolve, {
        issuer: config.issuer,
        algorithms: [...this.options.algorithms],
        clockTolerance: this.options.clockSkewS,
        currentDate: new Date(this.now()),
        requiredClaims: ['iat', 'jti', 'aud', 'events'],
        ...(config.audiences ? { audience: [...config.audiences] } : {}),
      }));
    } catch (err) {
      throw refusal(err);
    }
    return this.checkClaims(payload, config, nowS);
  }

  /** The claims jose does not know about (spec 2.4 and 2.6), on a verified payload. */
  private checkClaims(payload: JWTPayload, config: IssuerConfig, nowS: number): VerifiedLogoutToken {
    const skew = this.options.clockSkewS;
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
    if (iat > nowS + skew) refuse(`iat ${iat} is more than ${skew} s in the future`);
    const exp = typeof payload.exp === 'number' ? payload.exp : null;
    if (exp === null && nowS - iat > MAX_AGE_WITHOUT_EXP_S + skew) refuse(`iat ${iat} is too old for a token without exp`);
    const aud = (Array.isArray(payload.aud) ? payload.aud : [payload.aud]).filter((a): a is string => typeof a === 'string' && a !== '');
    if (aud.length === 0) refuse('aud must name the client');
    const audiences = config.audiences ? aud.filter((a) => config.audiences?.includes(a)) : aud;
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

/** jose's verdicts as our codes: signature-level failures, then claim-level ones. */
function refusal(err: unknown): KcrError {
  if (err instanceof KcrError) return err;
  if (err instanceof errors.JWTExpired) return KCR_ERR_BACKCHANNEL_CLAIMS(`expired (${err.claim}: ${err.message})`);
  if (err instanceof errors.JWTClaimValidationFailed) return KCR_ERR_BACKCHANNEL_CLAIMS(`${err.claim}: ${err.message}`);
  if (err instanceof errors.JOSEError) return KCR_ERR_BACKCHANNEL_SIGNATURE(err.message);
  return KCR_ERR_BACKCHANNEL_SIGNATURE((err as Error).message ?? String(err));
}
