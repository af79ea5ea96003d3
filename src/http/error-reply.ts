// One path from failure to answer: routes and hooks throw coded errors (src/errors.ts), fastify's own
// refusals are mapped onto codes here, and one handler writes {"error":{"code":"KCR_ERR_…","message":"…"}}
// with the headers the code carries (Retry-After, WWW-Authenticate). Requests that Node's HTTP parser
// refuses before fastify sees them (timeout, headers too large, malformed) get the same shape.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import type { SchemaErrorDataVar } from 'fastify/types/schema.js';
import {
  KCR_ERR_BODY_NOT_JSON,
  KCR_ERR_BODY_TOO_LARGE,
  KCR_ERR_HEADERS_TOO_LARGE,
  KCR_ERR_INTERNAL,
  KCR_ERR_NOT_FOUND,
  KCR_ERR_REQUEST,
  KCR_ERR_REQUEST_TIMEOUT,
  KCR_ERR_SHUTTING_DOWN,
  KcrError,
} from '../errors.js';

const NOT_JSON = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** Maps fastify's own errors onto our coded errors, keeping fastify's 4xx status. */
export function toKcrError(err: FastifyError | KcrError, bodyLimit: number): KcrError {
  if (err instanceof KcrError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return KCR_ERR_BODY_TOO_LARGE(bodyLimit);
  if (NOT_JSON.has(err.code)) return KCR_ERR_BODY_NOT_JSON(err.message);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return KCR_ERR_REQUEST(err.statusCode, err.message);
  return KCR_ERR_INTERNAL();
}

/** The answer of a coded error, for every route. */
export function errorHandler(bodyLimit: number) {
  return (err: FastifyError | KcrError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const coded = toKcrError(err, bodyLimit);
    if (coded.statusCode >= 500 && coded.statusCode !== 503) request.log.error({ err }, 'unhandled error');
    return reply.code(coded.statusCode).headers(coded.headers).send({ error: coded.toJSON() });
  };
}

/** Once the app closes, every request still arriving (on a busy keep-alive connection) gets a coded 503. */
export function refuseWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A callback, not a promise: it runs on every request, and a throw fails it as a rejection would.
  app.addHook('onRequest', (_request, _reply, done) => {
    if (closing) throw KCR_ERR_SHUTTING_DOWN();
    done();
  });
}

export async function notFoundHandler(request: FastifyRequest): Promise<never> {
  throw KCR_ERR_NOT_FOUND(request.method, request.url.split('?')[0] ?? '');
}

/** "querystring.limit: Expected …; body.from: …": where each issue is, and what it is. */
export function describeIssues(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): string {
  return errors.map((e) => `${[dataVar, ...e.instancePath.split('/').filter(Boolean)].join('.')}: ${e.message ?? 'invalid'}`).join('; ');
}

/**
 * A schemaErrorFormatter answering a failed request schema with `coded` (a route's own code, e.g.
 * KCR_ERR_UID_PARAM), or KCR_ERR_REQUEST 400 for routes that name none.
 */
export function codedValidation(coded: (why: string) => KcrError = (why) => KCR_ERR_REQUEST(400, why)) {
  return (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): KcrError => coded(describeIssues(errors, dataVar));
}

/** Refusals of Node's HTTP parser (fastify's clientErrorHandler): a coded JSON answer, then the socket is closed. */
export function clientErrorHandler(bodyTimeoutMs: number) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // A response already under way cannot be followed by another one on the same connection.
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!socket.writable || started) {
      socket.destroy();
      return;
    }
    const coded =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? KCR_ERR_REQUEST_TIMEOUT(bodyTimeoutMs)
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? KCR_ERR_HEADERS_TOO_LARGE()
          : KCR_ERR_REQUEST(400, `malformed HTTP request (${err.code ?? 'parse error'})`);
    const body = JSON.stringify({ error: coded.toJSON() });
    socket.once('finish', () => socket.destroy());
    socket.end(
      `HTTP/1.1 ${coded.statusCode} ${STATUS_CODES[coded.statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  };
}
