// The cluster logout message (src/logout/message.ts, docs/contract.md) as routes answer it.
import { z } from 'zod';
import { LOGOUT_KINDS, type LogoutMessage } from '../../logout/message.js';
import { loose } from '../schemas.js';

export const logoutMessage = loose<LogoutMessage>()({
  v: z.literal(1),
  id: z.string().describe('Snowflake of this publication'),
  kind: z.enum(LOGOUT_KINDS),
  realmId: z.string(),
  userId: z.string().nullable(),
  sessionId: z.string().nullable(),
  clientId: z.string().nullable(),
  notBefore: z.number().describe('Epoch seconds: tokens in scope issued before it are revoked'),
  reason: z.string(),
  eventUid: z.string(),
  time: z.number(),
  issuer: z.string().optional(),
  jti: z.string().optional(),
});
