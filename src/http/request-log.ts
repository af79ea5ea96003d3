// What fastify logs per request. Its default, two info lines per request, would be most of the log
// and a good part of ingest's CPU (each line is a write to stdout): at the default LOG_LEVEL=info a
// stored event writes no line (every answer is counted in /metrics; refused bodies, failed
// authentications and store errors log their own lines), and LOG_LEVEL=debug writes one per answer.
// Errors of the response itself (a socket closed mid-answer) keep fastify's error line.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    request.log.debug(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 },
      'answered',
    );
  }
}
