// One JSON error shape for every non-2xx answer: {"error":{"code":"KCR_ERR_…","message":"…"}}.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KCR_ERR_BODY_NOT_JSON, KCR_ERR_BODY_TOO_LARGE, KCR_ERR_INTERNAL, KCR_ERR_NOT_FOUND, KcrError } from '../errors.js';

export function sendError(reply: FastifyReply, err: KcrError, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(err.statusCode).headers(headers).send({ error: err.toJSON() });
}

/** Maps fastify's own errors (body too large, malformed requests) onto our coded errors. */
export function toKcrError(err: FastifyError | KcrError, bodyLimit: number): KcrError {
  if (err instanceof KcrError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return KCR_ERR_BODY_TOO_LARGE(bodyLimit);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new KcrError(KCR_ERR_BODY_NOT_JSON.code, err.message, 400, false);
  }
  return KCR_ERR_INTERNAL();
}

export function errorHandler(bodyLimit: number) {
  return (err: FastifyError | KcrError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = toKcrError(err, bodyLimit);
    if (mapped.statusCode >= 500 && mapped.statusCode !== 503) request.log.error({ err }, 'unhandled error');
    const headers: Record<string, string> = mapped.statusCode === 503 ? { 'retry-after': '2' } : {};
    return sendError(reply, mapped, headers);
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, KCR_ERR_NOT_FOUND(request.method, request.url.split('?')[0] ?? ''));
}
