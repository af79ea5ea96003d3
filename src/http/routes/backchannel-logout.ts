// POST /backchannel-logout: the relay as an OpenID Connect Back-Channel Logout 1.0 receiver, the
// "Backchannel logout URL" of Keycloak clients (docs/logout.md). No credentials: the signed logout
// token is the authentication. Answers as the spec's section 2.8 says: 200 once the logout is
// recorded and published, else 400 with {"error","error_description"} (plus our `code`), never cached.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BackchannelReceiver } from '../../backchannel/receiver.js';
import {
  KCR_ERR_BACKCHANNEL_CLAIMS,
  KCR_ERR_BACKCHANNEL_ISSUER,
  KCR_ERR_BACKCHANNEL_KEY,
  KCR_ERR_BACKCHANNEL_REPLAY,
  KCR_ERR_BACKCHANNEL_REQUEST,
  KCR_ERR_BACKCHANNEL_SIGNATURE,
  KCR_ERR_BACKCHANNEL_UNAVAILABLE,
  type KcrError,
} from '../../errors.js';
import { toKcrError } from '../error-reply.js';
import { RefusalLog } from '../refusal-log.js';

export const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';

const refusal = z
  .object({
    error: z.enum(['invalid_request', 'temporarily_unavailable', 'server_error']),
    error_description: z.string(),
    code: z.string().describe('KCR_ERR_BACKCHANNEL_* (README, "Error codes")'),
  })
  .describe(
    'Refused (OIDC Back-Channel Logout 1.0, 2.8): KCR_ERR_BACKCHANNEL_REQUEST, _ISSUER, _SIGNATURE, _KEY, _CLAIMS, _REPLAY; ' +
      'temporarily_unavailable: KCR_ERR_BACKCHANNEL_UNAVAILABLE (valid, but not recorded: nothing published)',
  );

const SCHEMA = {
  summary: 'Receive an OIDC back-channel logout token from Keycloak and publish the logout',
  description: 'No credentials: the logout token, signed by an issuer of TOKEN_ISSUERS, is the authentication (docs/logout.md).',
  tags: ['logouts'],
  rawBody: { 'application/x-www-form-urlencoded': z.object({ logout_token: z.string().describe('The logout token (a signed JWT)') }) },
  response: {
    200: z.undefined().describe('Recorded and published'),
    400: refusal,
    413: refusal.describe('Over BODY_LIMIT (KCR_ERR_BODY_TOO_LARGE)'),
    500: refusal.describe('server_error: an unexpected fault (KCR_ERR_INTERNAL), logged'),
  },
};

/** The single `logout_token` of a form body; every body arrives as raw bytes (src/http/server.ts). */
function logoutTokenOf(contentType: string | undefined, body: unknown): string {
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType ?? '')) {
    throw KCR_ERR_BACKCHANNEL_REQUEST('the body must be application/x-www-form-urlencoded');
  }
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const tokens = new URLSearchParams(text).getAll('logout_token');
  if (tokens.length !== 1 || tokens[0] === '') {
    throw KCR_ERR_BACKCHANNEL_REQUEST(`expected one logout_token parameter, got ${tokens.length}`);
  }
  return tokens[0] as string;
}

/**
 * What an anonymous caller is told, per refusal code: never the details (an unreachable JWKS's
 * address, a claim's value), which go to the log. Codes not listed (413, 500) carry no details.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  [KCR_ERR_BACKCHANNEL_REQUEST.code]: 'Not a back-channel logout request: a form body with one logout_token JWT is expected',
  [KCR_ERR_BACKCHANNEL_ISSUER.code]: 'The logout token issuer is not one of TOKEN_ISSUERS',
  [KCR_ERR_BACKCHANNEL_SIGNATURE.code]: 'The logout token signature or algorithm is refused',
  [KCR_ERR_BACKCHANNEL_KEY.code]: "No key of the issuer's is available to verify the logout token",
  [KCR_ERR_BACKCHANNEL_CLAIMS.code]: 'A claim of the logout token is refused (aud, iat, exp, events, sub/sid, jti, nonce, typ)',
  [KCR_ERR_BACKCHANNEL_REPLAY.code]: KCR_ERR_BACKCHANNEL_REPLAY().message,
  [KCR_ERR_BACKCHANNEL_UNAVAILABLE.code]: 'The logout was not recorded, the store is unreachable: nothing published',
};

/** This route's answer to every failure: the spec's shape instead of {"error":{code,message}}. */
function refuse(bodyLimit: number) {
  const refusals = new RefusalLog('back-channel logout refused');
  return (thrown: FastifyError | KcrError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const err = toKcrError(thrown, bodyLimit);
    if (err.statusCode >= 500) request.log.error({ err: thrown }, 'back-channel logout failed');
    else refusals.note(request.log, { code: err.code, reason: err.message });
    // `temporarily_unavailable` (RFC 6749) tells the logout was valid but could not be recorded.
    const error =
      err.code === KCR_ERR_BACKCHANNEL_UNAVAILABLE.code
        ? 'temporarily_unavailable'
        : err.statusCode >= 500
          ? 'server_error'
          : 'invalid_request';
    const description = DESCRIPTIONS[err.code] ?? err.message;
    return reply.code(err.statusCode).headers(err.headers).send({ error, error_description: description, code: err.code });
  };
}

export function backchannelLogoutRoutes(app: FastifyInstance, receiver: BackchannelReceiver, bodyLimit: number): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    BACKCHANNEL_LOGOUT_PATH,
    {
      schema: SCHEMA,
      errorHandler: refuse(bodyLimit),
      onRequest: (_request, reply, done) => {
        reply.header('cache-control', 'no-store');
        done();
      },
    },
    async (request, reply) => {
      const message = await receiver.receive(logoutTokenOf(request.headers['content-type'], request.body));
      request.log.info(
        { kind: message.kind, realmId: message.realmId, issuer: message.issuer, clientId: message.clientId, id: message.id },
        'back-channel logout published',
      );
      return reply.code(200).send();
    },
  );
}
