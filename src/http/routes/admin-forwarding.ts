// Operator routes of forwarding: destinations' state, replays, dead letters and redrives.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KCR_ERR_DESTINATION_UNKNOWN, KCR_ERR_JOB_NOT_FOUND, KCR_ERR_REPLAY_REQUEST } from '../../errors.js';
import type { DestinationWorker } from '../../forward/destination-worker.js';
import type { Forwarder } from '../../forward/forwarder.js';
import type { JobStatus, RangeBound, ReplayJobs } from '../../forward/replay.js';
import type { DeadLetter, EventStore, GroupState } from '../../store/event-store.js';
import { codedValidation } from '../error-reply.js';
import type { ProcessGroupReads } from '../process-group.js';
import { errors, limit, loose, uid } from '../schemas.js';
import type { DestinationInfo } from '../../metrics/summary.js';
import { adminSchema, canonicalEvent, destinationInfo, destinationName } from './admin-schemas.js';

const bound = z
  .string()
  .transform((text, ctx): RangeBound => {
    // Digits are a uid, never a year: "2026" would otherwise be a time.
    if (/^[-+]?\d+$/.test(text)) {
      const parsed = uid.safeParse(text);
      if (parsed.success) return { uid: parsed.data };
      ctx.addIssue({ code: 'custom', message: parsed.error.issues.map((i) => i.message).join('; ') });
      return z.NEVER;
    }
    const time = Date.parse(text);
    if (Number.isNaN(time)) {
      ctx.addIssue({ code: 'custom', message: `"${text.slice(0, 40)}" is neither an ISO time nor a uid` });
      return z.NEVER;
    }
    return { time };
  })
  .nullish()
  .meta({ description: 'A uid, or an ISO-8601 time compared with receivedAt; absent or null: unbounded' });

const replayBody = z.strictObject({ destination: destinationName, from: bound, to: bound });

const job = loose<JobStatus>()({
  id: z.string(),
  kind: z.enum(['replay', 'redrive']),
  destination: z.string(),
  state: z.enum(['running', 'done', 'failed']),
  total: z.number().int(),
  scanned: z.number().int(),
  matched: z.number().int(),
  delivered: z.number().int(),
  deadLettered: z.number().int(),
  error: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  replica: z.string().describe('The consumer name of the replica running it (or that ran it last)'),
  resumed: z.number().int().describe('Times another replica, or the same one restarted, took it over from its checkpoint'),
});

const destinationState = loose<GroupState & DestinationInfo>()({
  ...destinationInfo.shape,
  group: z.string(),
  pending: z.number().int(),
  lag: z.number().int(),
  deadLetters: z.number().int(),
  partitionLag: z.array(z.number().int()),
});

const deadLetter = loose<DeadLetter>()({
  id: z.string(),
  event: canonicalEvent,
  body: z.string().describe('The event JSON as first stored: what a redrive sends'),
  deadAt: z.string(),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string(),
});

const UNKNOWN_DESTINATION = 'KCR_ERR_DESTINATION_UNKNOWN: no destination of that name in DESTINATIONS';
const NOT_JSON = 'KCR_ERR_REQUEST: a body that is not application/json';
const byName = z.object({ name: destinationName });

export interface AdminForwardingDeps {
  store: EventStore;
  forwarder: Forwarder;
  jobs: ReplayJobs;
  /** WORKERS above 1: the circuits and connections of every process of the replica (jobs are read from the store). */
  group?: ProcessGroupReads;
}

export function adminForwardingRoutes(app: FastifyInstance, deps: AdminForwardingDeps): void {
  const admin = app.withTypeProvider<ZodTypeProvider>();
  const { store, forwarder, jobs, group } = deps;
  const worker = (name: string): DestinationWorker => {
    const w = forwarder.workers.get(name);
    if (!w) throw KCR_ERR_DESTINATION_UNKNOWN(name);
    return w;
  };

  admin.get(
    '/admin/destinations',
    {
      schema: adminSchema({
        summary: 'Every destination: circuit, lag, pending, dead letters',
        response: { 200: z.array(destinationState).describe('One per destination') },
      }),
    },
    async () => {
      const infos = group ? await group.destinations() : forwarder.describe();
      return Promise.all(
        infos.map(async (info) => ({
          ...info,
          ...(await store.groupState(info.name)),
        })),
      );
    },
  );

  admin.post(
    '/admin/replay',
    {
      schemaErrorFormatter: codedValidation(KCR_ERR_REPLAY_REQUEST),
      schema: adminSchema({
        summary: 'Re-deliver the buffered events of a uid or time range to one destination (a job)',
        body: replayBody,
        response: {
          202: job.describe('The job, started'),
          ...errors({
            400: 'KCR_ERR_REPLAY_REQUEST (no destination, or a bound that is neither a uid nor an ISO time), KCR_ERR_BODY_NOT_JSON',
            404: UNKNOWN_DESTINATION,
            415: NOT_JSON,
          }),
        },
      }),
    },
    async (request, reply) => {
      const { destination, from, to } = request.body;
      return reply.code(202).send(await jobs.replay(worker(destination), from ?? null, to ?? null));
    },
  );

  admin.get(
    '/admin/destinations/:name/dead-letters',
    {
      schema: adminSchema({
        summary: "A destination's dead letters, oldest first",
        params: byName,
        querystring: z.object({ limit: limit(100, 1000) }),
        response: { 200: z.array(deadLetter).describe('Dead letters'), ...errors({ 404: UNKNOWN_DESTINATION }) },
      }),
    },
    async (request) => {
      worker(request.params.name);
      return store.listDeadLetters(request.params.name, request.query.limit);
    },
  );

  admin.post(
    '/admin/destinations/:name/redrive',
    {
      schema: adminSchema({
        summary: "Re-send a destination's dead letters (a job); each one delivered is removed",
        params: byName,
        response: { 202: job.describe('The job, started'), ...errors({ 404: UNKNOWN_DESTINATION, 415: NOT_JSON }) },
      }),
    },
    async (request, reply) => reply.code(202).send(await jobs.redrive(worker(request.params.name))),
  );

  admin.get(
    '/admin/jobs/:id',
    {
      schema: adminSchema({
        summary: 'A replay or redrive job, with its progress (any replica answers: jobs live in the store)',
        params: z.object({ id: z.string() }),
        response: {
          200: job.describe('The job'),
          ...errors({ 404: 'KCR_ERR_JOB_NOT_FOUND: no such job (or finished and no longer among the newest 100)' }),
        },
      }),
    },
    async (request) => {
      const found = await jobs.get(request.params.id);
      if (!found) throw KCR_ERR_JOB_NOT_FOUND(request.params.id);
      return found;
    },
  );
}
