// The identity providers whose back-channel logout tokens the relay accepts (BACKCHANNEL_ISSUERS,
// BACKCHANNEL_ALGORITHMS), validated with zod at start-up like every other variable (src/config/env.ts).
import { z } from 'zod';

export interface IssuerConfig {
  /** Exactly the `iss` of its tokens: for Keycloak `<frontend URL>/realms/<realm name>`. */
  issuer: string;
  /** Client ids accepted in `aud`; null: any. */
  audiences: readonly string[] | null;
  /** Keycloak's internal realm id (as in the emitter's events); null: derived from the issuer. */
  realmId: string | null;
}

const issuerUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  },
  { message: "issuer must be an http(s) URL without query or fragment, written exactly as the tokens' iss" },
);

const issuerEntry = z
  .object({
    issuer: issuerUrl,
    audiences: z.array(z.string().min(1)).min(1, 'audiences, when given, must name at least one client id').optional(),
    realmId: z.string().min(1).optional(),
  })
  .strict()
  .transform((e): IssuerConfig => ({ issuer: e.issuer, audiences: e.audiences ?? null, realmId: e.realmId ?? null }));

export const issuersSchema = z
  .array(issuerEntry)
  .min(1, 'BACKCHANNEL_ISSUERS must list at least one issuer (unset it to turn the route off)')
  .refine((list) => new Set(list.map((e) => e.issuer)).size === list.length, { message: 'each issuer may appear once' });

/**
 * Asymmetric JWS algorithms only: `none` would accept any token, and an HMAC algorithm would let
 * anyone who holds the public JWKS (everyone) sign tokens with it as the "secret".
 */
export const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];
export const DEFAULT_ALGORITHMS: SignatureAlgorithm[] = ['RS256', 'ES256', 'PS256', 'EdDSA'];

export const algorithmsSchema = z
  .array(z.enum(SIGNATURE_ALGORITHMS, { message: `each algorithm must be one of ${SIGNATURE_ALGORITHMS.join(', ')} (never none or HS*)` }))
  .min(1, 'BACKCHANNEL_ALGORITHMS must name at least one algorithm');
