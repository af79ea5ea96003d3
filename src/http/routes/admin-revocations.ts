// Operator routes of cluster logout's revocations: see what a realm has revoked, and lift one that
// should not be there (a stored notBefore otherwise only rises: an event stamped in the future by an
// older relay, an admin's mistake). Every lift is logged with who asked and what it removed.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KCR_ERR_REVOCATION_NOT_FOUND } from '../../errors.js';
import type { LogoutBus } from '../../logout/bus.js';
import type { LogoutKind } from '../../logout/message.js';
import { scopeOf, targetOf, type Revocation } from '../../logout/revocation.js';
import { errors, limit } from '../schemas.js';
import { adminSchema } from './admin-schemas.js';

export interface AdminRevocationsDeps {
  bus: Pick<LogoutBus, 'listRevocations' | 'liftRevocation'>;
}

const nullableId = z.string().nullable();
const revocation = z.object({
  realmId: z.string(),
  scope: z
    .string()
    .describe(
      'realm, session:<sid>, user:<userId>, user:<userId>:client:<clientId>, email:<address> or client:<clientId> (ids URI-encoded)',
    ),
  kind: z.enum(['session', 'user', 'client', 'realm']),
  userId: nullableId,
  sessionId: nullableId,
  clientId: nullableId,
  email: z.string().optional().describe('A user an SSF transmitter named by email only (scope email:<address>)'),
  notBefore: z.number().int().describe('Epoch seconds: tokens of the scope with iat below it are revoked'),
  notBeforeAt: z.string().describe('notBefore as an ISO time'),
});
const stored = revocation.extend({ expiresAt: z.string().describe('When the store forgets it (notBefore + REVOCATION_TTL), ISO') });

/** The lift routes: one path per kind of scope, each naming its ids as Keycloak does. */
const LIFTS: Array<{ path: string; kind: LogoutKind; what: string }> = [
  { path: '/realm', kind: 'realm', what: 'the realm-wide revocation (logout-all, not-before push)' },
  { path: '/users/:userId', kind: 'user', what: "a user's revocation (admin logout, user deleted or disabled, lockout)" },
  { path: '/users/:userId/clients/:clientId', kind: 'user', what: "a user's revocation for one client (consent revoked)" },
  { path: '/sessions/:sessionId', kind: 'session', what: "a session's revocation (logout, session deleted)" },
  { path: '/emails/:email', kind: 'user', what: 'a user an SSF transmitter named by email only (session-revoked, credential-change)' },
  { path: '/clients/:clientId', kind: 'client', what: "a client's revocation (client not-before push; Keycloak's internal client id)" },
];

function described(r: Revocation) {
  return {
    realmId: r.realmId,
    scope: r.scope,
    ...targetOf(r.scope),
    notBefore: r.notBefore,
    notBeforeAt: new Date(r.notBefore * 1000).toISOString(),
  };
}

export function adminRevocationRoutes(app: FastifyInstance, { bus }: AdminRevocationsDeps): void {
  const admin = app.withTypeProvider<ZodTypeProvider>();

  admin.get(
    '/admin/revocations',
    {
      schema: adminSchema({
        summary: "A realm's revocations in force, the latest notBefore first",
        querystring: z.object({
          realmId: z.string().min(1).describe("Keycloak's realm id (or the realm name of back-channel revocations)"),
          limit: limit(100, 1000),
        }),
        response: { 200: z.array(stored).describe('Revocations'), ...errors({ 400: 'KCR_ERR_REQUEST: no realmId' }) },
      }),
    },
    async (request) => {
      const found = await bus.listRevocations(request.query.realmId, request.query.limit);
      return found.map((r) => ({ ...described(r), expiresAt: new Date(r.expiresAt).toISOString() }));
    },
  );

  for (const lift of LIFTS) {
    const params = z.object({
      realmId: z.string().min(1),
      ...(lift.path.includes(':userId') ? { userId: z.string().min(1) } : {}),
      ...(lift.path.includes(':sessionId') ? { sessionId: z.string().min(1) } : {}),
      ...(lift.path.includes(':clientId') ? { clientId: z.string().min(1) } : {}),
      ...(lift.path.includes(':email') ? { email: z.string().min(1) } : {}),
    });
    admin.delete(
      `/admin/revocations/:realmId${lift.path}`,
      {
        schema: adminSchema({
          summary: `Lift ${lift.what}`,
          params,
          response: {
            200: z.object({ lifted: revocation }).describe('The revocation removed: tokens of its scope are no longer refused for it'),
            ...errors({ 404: 'KCR_ERR_REVOCATION_NOT_FOUND: no such revocation in force' }),
          },
        }),
      },
      async (request) => {
        const ids = request.params as { realmId: string; userId?: string; sessionId?: string; clientId?: string; email?: string };
        const scope = scopeOf({
          kind: lift.kind,
          userId: ids.userId ?? null,
          sessionId: ids.sessionId ?? null,
          clientId: ids.clientId ?? null,
          ...(ids.email === undefined ? {} : { email: ids.email }),
        });
        const lifted = await bus.liftRevocation(ids.realmId, scope);
        if (!lifted) throw KCR_ERR_REVOCATION_NOT_FOUND(ids.realmId, scope);
        // Who: there is one admin token, so its holder at this address; what: the revocation as it was.
        request.log.warn(
          {
            by: 'ADMIN_TOKEN',
            address: request.ip,
            userAgent: request.headers['user-agent'],
            realmId: lifted.realmId,
            scope,
            notBefore: lifted.notBefore,
          },
          'revocation lifted by an operator',
        );
        return { lifted: described(lifted) };
      },
    );
  }
}
