// `kc-event-relay-admin stats`: GET /admin/summary as a few lines for a terminal.
import type { Summary } from '../metrics/summary.js';

/** Upper bound of the q-quantile's bucket, interpolated as Prometheus' histogram_quantile does. */
export function histogramQuantile(q: number, h: Summary['ingestDuration']): number | null {
  if (h.count === 0) return null;
  const rank = q * h.count;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of h.buckets) {
    if (count >= rank) return lowerLe + (le - lowerLe) * ((rank - lowerCount) / Math.max(count - lowerCount, 1e-9));
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

const ms = (s: number | null): string => (s === null ? '–' : `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`);
const n = (v: number | null): string => (v === null ? '–' : String(v));

export function formatStats(s: Summary): string {
  const outcomes = Object.entries(s.ingest)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const fill = s.buffer.length === null ? '–' : `${((s.buffer.length / s.buffer.capacity) * 100).toFixed(1)} %`;
  const lines = [
    `relay        up since ${s.startedAt}`,
    `ingest       ${outcomes || 'nothing yet'}`,
    `answer time  p50 ${ms(histogramQuantile(0.5, s.ingestDuration))}, p99 ${ms(histogramQuantile(0.99, s.ingestDuration))} (since start)`,
    `buffer       ${n(s.buffer.length)} / ${s.buffer.capacity} (${fill}, ${s.buffer.overflow}), evicted ${s.buffer.evicted}, lost ${s.buffer.lost}`,
    ...s.destinations.map(
      (d) =>
        `destination  ${d.name}: circuit ${d.circuit}, lag ${n(d.lag)}, pending ${n(d.pending)}, dead letters ${n(d.deadLetters)}, delivered ${d.delivered}, failed ${d.failed}`,
    ),
    s.logout.enabled
      ? `logout       published ${s.logout.published}, lag ${n(s.logout.lag)}, failed attempts ${s.logout.failures}`
      : 'logout       publisher not running in this process',
  ];
  return `${lines.join('\n')}\n`;
}
