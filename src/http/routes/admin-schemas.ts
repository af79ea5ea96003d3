// What every admin route shares in its schema (the bearer ADMIN_TOKEN, its refusals), and the shapes
// several admin routes answer with.
import type { FastifySchema } from 'fastify';
import { z } from 'zod';
import { securedBy } from '../openapi.js';
import type { CanonicalEvent } from '../../event/canonical.js';
import { errors, loose, uidText } from '../schemas.js';

/** An admin route's schema: tagged, behind ADMIN_TOKEN, with the token's refusals. */
export function adminSchema<S extends FastifySchema & { response: object }>(schema: S): S {
  return {
    tags: ['admin'],
    security: securedBy('adminToken'),
    ...schema,
    response: {
      ...schema.response,
      ...errors({
        401: 'KCR_ERR_ADMIN_AUTH: no or wrong bearer token (WWW-Authenticate: Bearer)',
        429: 'KCR_ERR_AUTH_THROTTLED: too many wrong tokens from this address (Retry-After)',
      }),
    },
  };
}

/** The canonical event (src/event/canonical.ts, docs/contract.md): its main fields; the others are kept. */
export const canonicalEvent = loose<CanonicalEvent>()({
  uid: uidText,
  kind: z.enum(['event', 'admin', 'security-event']),
  time: z.number().nullable(),
  emittedAt: z.string(),
  receivedAt: z.string(),
  type: z.string().nullable(),
  operationType: z.string().nullable(),
  resourceType: z.string().nullable(),
  realmId: z.string().nullable(),
  clientId: z.string().nullable(),
  userId: z.string().nullable(),
});

export const destinationName = z.string().min(1).describe('A destination name of DESTINATIONS');

/** A destination's link as last seen (src/forward/targets/target.ts): shown by /readyz and the status page. */
export const connectionState = z
  .object({
    state: z.enum(['idle', 'connecting', 'up', 'down']),
    since: z.string(),
    error: z.string().optional(),
  })
  .describe(
    'idle before the first write; up while connected (webhook: the last request had an answer); down after a lost or refused connection',
  );

/** What the forwarder says of a destination beside its metrics (Forwarder.describe). */
export const destinationInfo = z.looseObject({
  name: z.string(),
  type: z.enum(['webhook', 'amqp', 'nats', 'postgres']),
  url: z.string().describe('Without credentials or query'),
  circuit: z.enum(['closed', 'half-open', 'open']),
  connection: connectionState,
  lastFailure: z
    .object({ error: z.string(), at: z.string() })
    .nullable()
    .describe("The last failed write's reason, until a write succeeds"),
});
