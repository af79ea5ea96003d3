// Logout messages for application nodes over HTTP, behind LOGOUT_STREAM_TOKEN (not ADMIN_TOKEN: an
// app node gets to hear logouts, not to read or replay events):
//   GET /logouts          Server-Sent Events (embedded mode), resumable with Last-Event-ID
//   GET /logouts/revoked  the revocation check, for nodes that cannot read the store themselves
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KCR_ERR_LOGOUT_AUTH, KCR_ERR_REVOCATION_QUERY } from '../../errors.js';
import type { LoggedMessage, LogoutBus, LogoutStream } from '../../logout/bus.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { requireBearer } from '../auth/bearer-auth.js';
import { codedValidation } from '../error-reply.js';
import { noStore } from '../headers.js';
import { securedBy } from '../openapi.js';
import { errors, textBody } from '../schemas.js';

export interface LogoutRoutesDeps {
  bus: LogoutBus;
  /** Null with Redis, where nodes subscribe to the channels themselves. */
  stream: LogoutStream | null;
  token: string;
  throttle: AuthThrottle;
  /** Comment lines keeping idle proxies from closing the stream. */
  heartbeatMs?: number;
}

const optional = (description: string) => z.string().optional().describe(description);
const revocationQuery = z
  .object({
    realmId: optional("Keycloak's realm id, as in the events; may be left out when iss is given"),
    iss: optional("The token's issuer (the realm's URL)"),
    sub: z.string().min(1).describe("The token's subject (user id)"),
    sid: optional("The token's session id"),
    azp: optional("The token's authorized party (client id)"),
    iat: z
      .string()
      .regex(/^\d+$/, 'iat must be a decimal integer (epoch seconds)')
      .transform(Number)
      .refine(Number.isSafeInteger, 'iat is out of range')
      .describe("The token's issued-at, epoch seconds"),
    clientUuid: optional("Keycloak's internal id of the azp client"),
    email: optional("The token's email: revocations an SSF transmitter named by email only"),
  })
  .refine((q) => q.realmId || q.iss, 'realmId or iss is required');

const SCOPE = { tags: ['logouts'], security: securedBy('logoutToken') };
const REFUSALS = errors({
  401: 'KCR_ERR_LOGOUT_AUTH: no or wrong bearer token (WWW-Authenticate: Bearer)',
  429: 'KCR_ERR_AUTH_THROTTLED: too many wrong tokens from this address (Retry-After)',
});

const frame = ({ message }: LoggedMessage): string => `id: ${message.id}\ndata: ${JSON.stringify(message)}\n\n`;

export function logoutRoutes(app: FastifyInstance, deps: LogoutRoutesDeps): void {
  const open = new Set<ServerResponse>();

  app.register(async (scope) => {
    scope.addHook('onRequest', noStore);
    scope.addHook('onRequest', requireBearer(deps.token, KCR_ERR_LOGOUT_AUTH, deps.throttle));
    const api = scope.withTypeProvider<ZodTypeProvider>();

    api.get(
      '/logouts/revoked',
      {
        schemaErrorFormatter: codedValidation(KCR_ERR_REVOCATION_QUERY),
        schema: {
          ...SCOPE,
          summary: "Whether a token's session was logged out (the revocation check, for nodes that cannot read the store)",
          querystring: revocationQuery,
          response: {
            200: z.object({ revoked: z.boolean() }).describe('The verdict'),
            ...errors({ 400: 'KCR_ERR_REVOCATION_QUERY: no realmId (or iss), no sub, or iat not an integer' }),
            ...REFUSALS,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const claims = {
          realmId: q.realmId ?? null,
          iss: q.iss ?? null,
          sub: q.sub,
          sid: q.sid ?? null,
          azp: q.azp ?? null,
          iat: q.iat,
          clientUuid: q.clientUuid ?? null,
          email: q.email ?? null,
        };
        return { revoked: await deps.bus.isRevoked(claims) };
      },
    );

    const stream = deps.stream;
    if (!stream) return;
    const lastEventId = z.string().optional().describe('The id of the last message received: the stream resumes after it');
    const sseSchema = {
      ...SCOPE,
      summary: 'Logout messages as Server-Sent Events (without Redis), resumable with Last-Event-ID',
      // Loose: the validated headers replace the request's, which must keep every other header.
      headers: z.looseObject({ 'last-event-id': lastEventId }),
      response: {
        200: textBody('text/event-stream', 'One `id:`/`data:` frame per message; `event: gap` when the resume point is lost'),
        ...REFUSALS,
      },
    };
    api.get('/logouts', { schema: sseSchema }, (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');

      // Live messages are held back until the replay is written, then sent unless the replay had them.
      let held: LoggedMessage[] | null = [];
      let lastSeq = 0;
      const send = (logged: LoggedMessage): void => {
        if (logged.seq <= lastSeq) return;
        lastSeq = logged.seq;
        res.write(frame(logged));
      };
      const unsubscribe = stream.subscribe((logged) => (held ? held.push(logged) : send(logged)));

      const lastEventId = request.headers['last-event-id'];
      const replay = stream.replay(typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : null);
      // The client's last message is no longer in the bounded log: it may have missed some, and must
      // re-check what it holds (GET /logouts/revoked, or its identity provider).
      if (replay.status === 'gap') res.write(`event: gap\ndata: ${JSON.stringify({ lastEventId })}\n\n`);
      for (const logged of replay.messages) send(logged);
      for (const logged of held) send(logged);
      held = null;

      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
      open.add(res);
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
      });
    });
  });

  // Streams never end by themselves: end them when the server closes, or close() would wait forever.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });
}
