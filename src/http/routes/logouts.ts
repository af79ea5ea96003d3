// Logout messages for application nodes over HTTP, behind LOGOUT_STREAM_TOKEN (not ADMIN_TOKEN: an
// app node gets to hear logouts, not to read or replay events):
//   GET /logouts          Server-Sent Events (embedded mode), resumable with Last-Event-ID
//   GET /logouts/revoked  the revocation check, for nodes that cannot read the store themselves
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { KCR_ERR_LOGOUT_AUTH, KCR_ERR_REVOCATION_QUERY } from '../../errors.js';
import type { LoggedMessage, LogoutBus, LogoutStream } from '../../logout/bus.js';
import type { RevocationClaims } from '../../logout/revocation.js';
import type { AuthThrottle } from '../auth/auth-throttle.js';
import { requireBearer } from '../auth/bearer-auth.js';
import { sendError } from '../error-reply.js';

export interface LogoutRoutesDeps {
  bus: LogoutBus;
  /** Null with Redis, where nodes subscribe to the channels themselves. */
  stream: LogoutStream | null;
  token: string;
  throttle: AuthThrottle;
  /** Comment lines keeping idle proxies from closing the stream. */
  heartbeatMs?: number;
}

const frame = ({ message }: LoggedMessage): string => `id: ${message.id}\ndata: ${JSON.stringify(message)}\n\n`;

export function logoutRoutes(app: FastifyInstance, deps: LogoutRoutesDeps): void {
  const open = new Set<ServerResponse>();

  app.register(async (scope) => {
    scope.addHook('onRequest', requireBearer(deps.token, 'kc-event-relay logouts', KCR_ERR_LOGOUT_AUTH, deps.throttle));

    scope.get<{ Querystring: Record<string, string | undefined> }>('/logouts/revoked', async (request, reply) => {
      const q = request.query;
      const iat = Number(q.iat);
      if (!(q.realmId || q.iss) || !q.sub || !/^\d+$/.test(q.iat ?? '') || !Number.isSafeInteger(iat)) {
        return sendError(reply, KCR_ERR_REVOCATION_QUERY(`got ${JSON.stringify(q)}`));
      }
      const claims: RevocationClaims = {
        realmId: q.realmId ?? null,
        iss: q.iss ?? null,
        sub: q.sub,
        sid: q.sid ?? null,
        azp: q.azp ?? null,
        iat,
        clientUuid: q.clientUuid ?? null,
      };
      return { revoked: await deps.bus.isRevoked(claims) };
    });

    const stream = deps.stream;
    if (!stream) return;
    scope.get('/logouts', (request, reply) => {
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
