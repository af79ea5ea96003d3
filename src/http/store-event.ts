// The last step of every event intake (the emitter's, Phase Two's, SSF's): append to the store and
// account for what the bound did, and keep an undecodable but authenticated body in the quarantine;
// and the intakes' outcomes as the metrics name them. The route answers; nothing here decides a status.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { CanonicalEvent } from '../event/canonical.js';
import type { LineBudget } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppendOptions, EventStore, QuarantineRecord } from '../store/event-store.js';

/** What a sender's route does with an authenticated body it cannot decode (INVALID_PAYLOAD). */
export interface InvalidPayloadSetting {
  INVALID_PAYLOAD: 'quarantine' | 'reject';
}

/** What every sender's route reads, keyed as the environment names them (sizes in bytes, skew in ms). */
export interface SenderRouteSettings {
  BODY_LIMIT: number;
  BUFFER_CAPACITY: number;
  BUFFER_MAX_BYTES: number;
  QUARANTINE_MAX_BYTES: number;
  MAX_CLOCK_SKEW: number;
}

export interface StoreEventDeps {
  store: EventStore;
  metrics: Metrics;
}

/** `full`: nothing stored (BUFFER_OVERFLOW=reject), the caller answers KCR_ERR_BUFFER_FULL. */
export async function storeEvent(
  deps: StoreEventDeps,
  event: CanonicalEvent,
  nowMs: number,
  options: AppendOptions,
  log: FastifyBaseLogger,
): Promise<'accepted' | 'duplicate' | 'full'> {
  const { metrics } = deps;
  const outcome = await deps.store.append(event, nowMs, options);
  switch (outcome.status) {
    case 'duplicate':
      return 'duplicate';
    case 'full':
      log.warn({ oldestUid: outcome.oldestUid }, 'ring buffer full under BUFFER_OVERFLOW=reject');
      return 'full';
    case 'accepted':
      if (outcome.late) metrics.late.inc();
      if (outcome.evicted > 0) metrics.evicted.inc(outcome.evicted);
      for (const lost of outcome.lost) {
        metrics.lost.inc({ destination: lost.destination });
        log.warn(lost, 'ring buffer bound dropped an event the destination had not received');
      }
      return 'accepted';
  }
}

export interface QuarantineDeps extends StoreEventDeps {
  config: Pick<SenderRouteSettings, 'BUFFER_CAPACITY' | 'QUARANTINE_MAX_BYTES'>;
  /** One per app: once the quarantine is full every new body drops an old one, so a line a minute, with the count. */
  quarantineDrops: LineBudget;
}

/** Keeps the body whole for an operator (INVALID_PAYLOAD=quarantine); what its bound drops to make room is counted and logged. */
export async function quarantineBody(deps: QuarantineDeps, record: QuarantineRecord, log: FastifyBaseLogger): Promise<void> {
  const dropped = await deps.store.quarantine(record);
  log.warn({ node: record.node, code: record.errorCode, bytes: record.body.length }, 'body quarantined');
  if (dropped === 0) return;
  deps.metrics.quarantineDropped.inc(dropped);
  const since = deps.quarantineDrops.add(dropped);
  if (since !== null) {
    log.warn(
      { dropped: since, capacity: deps.config.BUFFER_CAPACITY, maxBytes: deps.config.QUARANTINE_MAX_BYTES },
      'quarantine full: its oldest bodies were dropped to keep the newest (BUFFER_CAPACITY, QUARANTINE_MAX_BYTES)',
    );
  }
}

/** Outcomes decided outside the handler (fastify's body limit, store errors) follow from the status. */
export function outcomeOfStatus(status: number): string {
  if (status === 413) return 'too_large';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'rejected';
  return 'error';
}

/**
 * Counts every answer of a sender's routes registered in `scope` in kcr_sender_requests_total,
 * including those fastify or the error handler gave; routes set request.ingestOutcome where they
 * decide it (load shedding does too).
 */
export function countSenderOutcomes(scope: FastifyInstance, metrics: Metrics, sender: string): void {
  scope.decorateRequest('ingestOutcome', '');
  scope.addHook('onResponse', async (request, reply) => {
    metrics.senderRequests.inc({ sender, outcome: request.ingestOutcome || outcomeOfStatus(reply.statusCode) });
  });
}
