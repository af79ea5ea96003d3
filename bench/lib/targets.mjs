// The targets of the throughput issue, judged from one run's rows: ingest on Redis within 0.6 of the
// bare route and under 5 ms p99 at 1,000 req/s, in both formats; the drain within 0.7 of the sink;
// the logout latency. Other rows (durable Redis, embedded) are listed beside them without a target.
import { fmt } from './report.mjs';

/**
 * The reference row that appends each raw body to a Redis stream and does nothing else
 * (bench/servers/bare-fastify.mjs with REDIS_URL): what the relay on Redis could reach at best here.
 */
export const FLOOR = 'Redis append floor (bare route + one XADD)';

const perEvent = (r) =>
  `${fmt.int(r.serverUs)} µs ${r.server === FLOOR ? 'server' : 'relay'}${r.storeUs?.length ? ` + ${r.storeUs.map(fmt.int).join(' + ')} µs Redis` : ''}`;

export function judge(results) {
  const { settings } = results;
  const out = [];
  const bare = (body) => results.saturation.find((r) => r.server === 'bare fastify' && r.body === body);
  const floor = (body) => results.saturation.find((r) => r.server === FLOOR && r.body === body);
  for (const row of results.saturation.filter((r) => r.ratio !== undefined)) {
    const b = bare(row.body);
    const targeted = row.server === 'relay, Redis';
    const f = floor(row.body);
    const againstFloor = targeted && f ? `; ${fmt.ratio3(row.rps / f.rps)} × the Redis append floor (${fmt.ratio3(f.ratio)} × bare)` : '';
    out.push({
      name: `ingest req/s, ${row.server}, ${row.body}`,
      goal: targeted ? '≥ 0.60 × bare route' : row.server === FLOOR ? '— (the ceiling of a relay on Redis here)' : '—',
      measured: `${fmt.ratio3(row.ratio)} (${fmt.int(row.rps)} / ${fmt.int(b.rps)} req/s); CPU per event ${perEvent(row)}, bare route ${fmt.int(b.serverUs)} µs per request${againstFloor}`,
      met: targeted ? row.ratio >= 0.6 && row.non2xx === 0 : 'none',
    });
  }
  for (const row of results.fixedRate.filter((r) => r.server !== 'bare fastify')) {
    const targeted = row.server === 'relay, Redis';
    out.push({
      name: `ingest p99 at ${fmt.int(settings.rate)} req/s, ${row.server}, ${row.body}`,
      goal: targeted ? '< 5 ms' : '—',
      measured: `${fmt.ms(row.p99)} ms (autocannon CO-corrected: ${fmt.int(row.acP99)} ms; ${fmt.int(row.rps)} req/s achieved)`,
      met: targeted ? row.p99 < 5 && row.non2xx === 0 && row.rps >= settings.rate * 0.95 : 'none',
    });
  }
  out.push({
    name: `drain of ${fmt.int(settings.backlog)} events`,
    goal: '≥ 0.70 × sink capacity',
    measured:
      results.drain.ratio === undefined
        ? 'failed (see notes)'
        : `${fmt.ratio3(results.drain.ratio)} (${fmt.int(results.drain.rate)} / ${fmt.int(results.drain.sinkCapacity)} events/s)`,
    met: results.drain.ratio === undefined ? null : results.drain.ratio >= 0.7 && results.drain.complete,
  });
  out.push({
    name: 'logout message latency (POST -> subscriber) p99 at 1,000 LOGOUT/s',
    goal: '< 10 ms',
    measured: results.logout
      ? `${results.logout.p99} (p50 ${results.logout.p50}; POST answer p99 ${results.logout.answer.p99}; ${results.logout.received} received, ${results.logout.lost} lost)`
      : 'failed (see notes)',
    met: results.logout ? Number.parseFloat(results.logout.p99) < 10 && results.logout.lost === 0 : null,
  });
  return out;
}
