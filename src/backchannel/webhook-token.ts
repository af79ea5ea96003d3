// Phase Two's bearer webhooks (`authType=bearer`): `Authorization: Bearer <JWT>` signed with the
// realm's active key, claims exp, iat, jti, iss, aud (the webhook's audience) and
// request_body_sha256, the lowercase hex SHA-256 of the exact body. Verified as every token is
// (./signed-token.ts), then bound to the body: a token is good for its one body only.
//
// Its `jti` is single-use by that binding: a replayed token can only carry the body it was signed
// for, whose event the store deduplicates (by Keycloak's event id), so a replay stores and publishes
// nothing; p2 mints a new token for each attempt of a delivery anyway.
import { createHash } from 'node:crypto';
import { SignedTokenCheck, TokenRefusal, type TokenCheckOptions } from './signed-token.js';

const WEBHOOK_TOKEN = {
  // Keycloak's JWSBuilder writes "JWT"; other signers may leave typ out.
  typ: (typ: unknown) => typ === undefined || (typeof typ === 'string' && typ.toLowerCase() === 'jwt'),
  requiredClaims: ['exp', 'iat', 'jti', 'aud', 'request_body_sha256'],
};

export interface VerifiedWebhookToken {
  issuer: string;
  jti: string;
}

export class WebhookTokenVerifier {
  private readonly check: SignedTokenCheck;

  constructor(options: TokenCheckOptions) {
    this.check = new SignedTokenCheck(options);
  }

  /** Throws TokenRefusal (its message for the log only). */
  async verify(token: string, body: Buffer): Promise<VerifiedWebhookToken> {
    const { payload, issuer } = await this.check.verify(token, WEBHOOK_TOKEN);
    const iat = payload.iat as number;
    if (this.check.iatInFuture(iat)) throw new TokenRefusal('claims', `iat ${iat} is in the future`);
    const digest = payload.request_body_sha256;
    if (typeof digest !== 'string' || digest.toLowerCase() !== createHash('sha256').update(body).digest('hex')) {
      throw new TokenRefusal('claims', 'request_body_sha256 is not the digest of this body');
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') throw new TokenRefusal('claims', 'jti must be a non-empty string');
    return { issuer: issuer.issuer, jti: payload.jti };
  }
}
