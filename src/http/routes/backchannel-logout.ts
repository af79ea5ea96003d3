// POST /backchannel-logout: the relay as an OpenID Connect Back-Channel Logout 1.0 receiver, the
// "Backchannel logout URL" of Keycloak clients (docs/logout.md). No credentials: the signed logout
// token is the authentication. Answers as the spec's section 2.8 says: 200 once the logout is
// recorded and published, else 400 with {"error","error_description"} (plus our `code`), never cached.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { BackchannelReceiver } from '../../backchannel/receiver.js';
import { KCR_ERR_BACKCHANNEL_REQUEST, KCR_ERR_BACKCHANNEL_UNAVAILABLE, KcrError } from '../../errors.js';

export const BACKCHANNEL_LOGOUT_PATH = '/backchannel-logout';

function refuse(reply: FastifyReply, err: KcrError): FastifyReply {
  // `temporarily_unavailable` (RFC 6749) tells the logout was valid but could not be recorded.
  const error = err.code === KCR_ERR_BACKCHANNEL_UNAVAILABLE.code ? 'temporarily_unavailable' : 'invalid_request';
  return reply.code(err.statusCode).send({ error, error_description: err.message, code: err.code });
}

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

export function backchannelLogoutRoutes(app: FastifyInstance, receiver: BackchannelReceiver): void {
  app.post(BACKCHANNEL_LOGOUT_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      const message = await receiver.receive(logoutTokenOf(request.headers['content-type'], request.body));
      request.log.info(
        { kind: message.kind, realmId: message.realmId, issuer: message.issuer, clientId: message.clientId, id: message.id },
        'back-channel logout published',
      );
      return reply.code(200).send();
    } catch (err) {
      if (!(err instanceof KcrError)) throw err;
      request.log.warn({ code: err.code, reason: err.message }, 'back-channel logout refused');
      return refuse(reply, err);
    }
  });
}
