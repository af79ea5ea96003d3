// Load shedding on the ingest routes (@fastify/under-pressure): while the event loop is saturated
// (mean delay over SHED_EVENT_LOOP_DELAY, or utilization over SHED_EVENT_LOOP_UTILIZATION, sampled
// every second) POST /events answers 503 + Retry-After at once, before authentication or reading
// the body, and Keycloak keeps the event to resend it. Probes, metrics and admin routes are never
// shed: an operator must still see a relay under pressure.
import underPressure, { TYPE_EVENT_LOOP_DELAY } from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import { KCR_ERR_OVERLOADED } from '../errors.js';

/** The settings it reads, keyed as the environment names them (ms; utilization 0..1; 0 = off). */
export interface LoadSheddingSettings {
  SHED_EVENT_LOOP_DELAY: number;
  SHED_EVENT_LOOP_UTILIZATION: number;
  SHED_RETRY_AFTER: number;
}

export function loadShedding(app: FastifyInstance, config: LoadSheddingSettings, shedUrls: readonly string[]): void {
  if (config.SHED_EVENT_LOOP_DELAY === 0 && config.SHED_EVENT_LOOP_UTILIZATION === 0) return;
  const shed = new Set(shedUrls);
  const retryAfterS = Math.max(1, Math.round(config.SHED_RETRY_AFTER / 1000));
  void app.register(underPressure, {
    maxEventLoopDelay: config.SHED_EVENT_LOOP_DELAY,
    maxEventLoopUtilization: config.SHED_EVENT_LOOP_UTILIZATION,
    // Utilization of the last sample, not since start: a saturated minute after a quiet day counts.
    eventLoopUtilizationMode: 'interval',
    // A promise: under-pressure goes on with the request once it resolves (any other route), and
    // hands a rejection to the error handler (a shed route).
    pressureHandler: async (request, _reply, type, value) => {
      if (!shed.has(request.routeOptions.url ?? '')) return;
      const why =
        type === TYPE_EVENT_LOOP_DELAY
          ? `event loop delay ${Math.round(Number(value))} ms`
          : `event loop utilization ${Number(value).toFixed(2)}`;
      request.ingestOutcome = 'overloaded';
      throw KCR_ERR_OVERLOADED(why, retryAfterS);
    },
  });
}
