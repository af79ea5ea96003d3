// Operator routes of forwarding: destinations' state, replays, dead letters and redrives.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KCR_ERR_DESTINATION_UNKNOWN, KCR_ERR_JOB_NOT_FOUND, KCR_ERR_REPLAY_REQUEST } from '../../errors.js';
import type { DestinationWorker } from '../../forward/destination-worker.js';
import type { Forwarder } from '../../forward/forwarder.js';
import type { RangeBound, ReplayJobs } from '../../forward/replay.js';
import type { EventStore } from '../../store/event-store.js';
import { sendError } from '../error-reply.js';

const bound = z
  .string()
  .transform((text, ctx): RangeBound => {
    if (/^-?\d{1,19}$/.test(text)) return { uid: BigInt(text) };
    const time = Date.parse(text);
    if (Number.isNaN(time)) {
      ctx.addIssue({ code: 'custom', message: `"${text.slice(0, 40)}" is neither an ISO time nor a uid` });
      return z.NEVER;
    }
    return { time };
  })
  .nullish();

const replayBody = z.object({ destination: z.string().min(1), from: bound, to: bound }).strict();

export function adminForwardingRoutes(
  admin: FastifyInstance,
  deps: { store: EventStore; forwarder: Forwarder; jobs: ReplayJobs },
): void {
  const { store, forwarder, jobs } = deps;
  const worker = (name: string): DestinationWorker => {
    const w = forwarder.workers.get(name);
    if (!w) throw KCR_ERR_DESTINATION_UNKNOWN(name);
    return w;
  };

  admin.get('/admin/destinations', async () => {
    const now = Date.now();
    return Promise.all(
      [...forwarder.workers.values()].map(async (w) => ({
        name: w.name,
        url: w.destination.url,
        circuit: w.breaker.state(now),
        ...(await store.groupState(w.name)),
      })),
    );
  });

  admin.post('/admin/replay', async (request, reply) => {
    const parsed = replayBody.safeParse(request.body);
    if (!parsed.success) {
      return sendError(reply, KCR_ERR_REPLAY_REQUEST(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')));
    }
    const { destination, from, to } = parsed.data;
    return reply.code(202).send(jobs.replay(worker(destination), from ?? null, to ?? null));
  });

  admin.get<{ Params: { name: string }; Querystring: { limit?: string } }>('/admin/destinations/:name/dead-letters', async (request) => {
    worker(request.params.name);
    const limit = Math.min(Math.max(Number(request.query.limit ?? 100) || 100, 1), 1000);
    return store.listDeadLetters(request.params.name, limit);
  });

  admin.post<{ Params: { name: string } }>('/admin/destinations/:name/redrive', async (request, reply) => {
    return reply.code(202).send(jobs.redrive(worker(request.params.name)));
  });

  admin.get<{ Params: { id: string } }>('/admin/jobs/:id', async (request) => {
    const job = jobs.get(request.params.id);
    if (!job) throw KCR_ERR_JOB_NOT_FOUND(request.params.id);
    return job;
  });
}
