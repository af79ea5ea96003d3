// The identity providers whose signed tokens the relay accepts: one list for the three intakes that
// verify tokens (back-channel logout tokens, Phase Two's bearer webhooks, SSF Security Event
// Tokens), TOKEN_ISSUERS (formerly BACKCHANNEL_ISSUERS), and the algorithms they may sign with,
// validated with zod at start-up like every other variable (src/config/env.ts).
import type { JSONWebKeySet } from 'jose';
import { z } from 'zod';

export interface IssuerConfig {
  /** Exactly the `iss` of its tokens: for Keycloak `<frontend URL>/realms/<realm name>`. */
  issuer: string;
  /** What a token's `aud` must name one of: client ids, a webhook's or a stream's audience. */
  audiences: readonly string[];
  /** Keycloak's internal realm id (as in the emitter's events); null: derived from the issuer. */
  realmId: string | null;
  /** Where its keys are, when not where discovery says (an issuer whose discovery is unreachable). */
  jwksUri: string | null;
  /** Its keys, given inline: never fetched. */
  jwks: JSONWebKeySet | null;
}

/** Names the loopback interface: plain http to it never leaves the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

const httpUrl = (what: string) =>
  z.string().refine(
    (text) => {
      try {
        const url = new URL(text);
        return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '';
      } catch {
        return false;
      }
    },
    { message: `${what} must be an http(s) URL without query or fragment` },
  );

/** Plain http: a man in the middle could serve its own keys (or, for an issuer, its own discovery). */
const overPlainHttp = (text: string | undefined): boolean => {
  if (text === undefined || !URL.canParse(text)) return false;
  const url = new URL(text);
  return url.protocol === 'http:' && !isLoopback(url.hostname);
};

const jwksSchema = z
  .object({ keys: z.array(z.looseObject({ kty: z.string().min(1) })).min(1, 'jwks must hold at least one key') })
  .loose()
  .transform((set) => set as unknown as JSONWebKeySet);

const issuerEntry = z
  .object({
    issuer: httpUrl("issuer (written exactly as the tokens' iss)"),
    audiences: z.array(z.string().min(1)).min(1, "audiences must name at least one of the tokens' aud values"),
    realmId: z.string().min(1).optional(),
    jwksUri: httpUrl('jwksUri').optional(),
    jwks: jwksSchema.optional(),
    insecure: z.boolean().optional(),
  })
  .strict()
  .refine((e) => !(e.jwksUri && e.jwks), { message: 'give jwksUri or jwks, not both', path: ['jwks'] })
  .refine((e) => e.insecure === true || !overPlainHttp(e.issuer), {
    message: 'issuer over plain http: is refused unless its host is loopback or the entry says "insecure": true',
    path: ['issuer'],
  })
  .refine((e) => e.insecure === true || !overPlainHttp(e.jwksUri), {
    message: 'jwksUri over plain http: is refused unless its host is loopback or the entry says "insecure": true',
    path: ['jwksUri'],
  })
  .transform((e): IssuerConfig => ({
    issuer: e.issuer,
    audiences: e.audiences,
    realmId: e.realmId ?? null,
    jwksUri: e.jwksUri ?? null,
    jwks: e.jwks ?? null,
  }));

/** The issuer list under its variable's name (TOKEN_ISSUERS, or its former name BACKCHANNEL_ISSUERS). */
export const issuersSchema = (name: string) =>
  z
    .array(issuerEntry)
    .min(1, `${name} must list at least one issuer (unset it to turn token intake off)`)
    .refine((list) => new Set(list.map((e) => e.issuer)).size === list.length, { message: 'each issuer may appear once' });

/** The configured issuers, under whichever name they were given; null when token intake is off. */
export function configuredIssuers(config: {
  TOKEN_ISSUERS?: readonly IssuerConfig[] | undefined;
  BACKCHANNEL_ISSUERS?: readonly IssuerConfig[] | undefined;
}): readonly IssuerConfig[] | null {
  return config.TOKEN_ISSUERS ?? config.BACKCHANNEL_ISSUERS ?? null;
}

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
