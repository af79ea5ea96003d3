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
