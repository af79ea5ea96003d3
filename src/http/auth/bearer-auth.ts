// Bearer-token routes (operators: ADMIN_TOKEN; application nodes: LOGOUT_STREAM_TOKEN): one check,
// constant-time, answering 401 with the realm's challenge.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KcrError } from '../../errors.js';
import { sendError } from '../error-reply.js';
import { secretsEqual } from './basic-auth.js';

export function requireBearer(token: string, realm: string, refusal: () => KcrError) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const header = request.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (secretsEqual(given, token)) return undefined;
    return sendError(reply, refusal(), { 'www-authenticate': `Bearer realm="${realm}"` });
  };
}
