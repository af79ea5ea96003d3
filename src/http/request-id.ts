// The request id of the logs (`reqId`) and of the `X-Request-Id` answer header. A caller's own
// X-Request-Id is kept only when it is 1 to 128 visible ASCII characters: anything longer or with
// spaces, control or non-ASCII characters would let a caller bloat or garble every log line of its
// requests, and is replaced by a generated id (the answer's header says which).
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

const CALLER_ID = /^[\x21-\x7e]{1,128}$/;

/** fastify's `genReqId`: the caller's id when acceptable, else `req-<n>` as fastify's own generator makes. */
export function requestIds(): (request: IncomingMessage) => string {
  let next = 0;
  return (request) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && CALLER_ID.test(given)) return given;
    // Wraps at 2^31 as fastify's does, staying a small integer.
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

/** Every answer says its request id, so that a caller can find the relay's log lines of it. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
