// Headers of the answers themselves: `X-Content-Type-Options: nosniff` on every one (no browser
// reads a JSON error or a quarantined body as HTML), and `Cache-Control: no-store` on those that
// carry personal data (admin, quarantine, logouts), so that no proxy or browser cache keeps them.
import type { Server } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/**
 * Set on the raw response before fastify sees the request, so that every answer has it: routes,
 * coded errors, 404s, fastify's own refusals and hijacked streams alike. Answers written on the bare
 * socket by the HTTP parser's error handler set it themselves (error-reply.ts).
 */
export function noSniff(server: Server): void {
  server.prependListener('request', (_request, response) => response.setHeader('x-content-type-options', 'nosniff'));
}

/** An onRequest hook of the scopes whose answers carry personal data, refusals included. */
export function noStore(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('cache-control', 'no-store');
  done();
}
