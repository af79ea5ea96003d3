// The verdict of a chaos scenario, Jepsen's queue checker applied to the relay: of the events the
// emitters saw answered 200, LOST = not received by every destination (or, for a LOGOUT, neither
// heard by the subscriber nor revoked); UNEXPECTED = received but never sent, or received with
// other content than was sent. Duplicates are allowed and counted.
import { unheardLogouts } from './scenario.mjs';

export async function judge(result) {
  const { emitters, sinks, registry, watcher, liveUrl, drain, relays } = result;
  const acked = new Set(emitters.flatMap((e) => [...e.acked]));
  const lostAt = Object.fromEntries(sinks.map((s) => [s.name, [...acked].filter((uid) => !s.delivered.has(uid))]));
  const logouts = await unheardLogouts({ acked, registry, watcher, liveUrl });
  const lost = new Set([...Object.values(lostAt).flat(), ...logouts.missing]);
  const unexpected = sinks.flatMap((s) => s.unexpected.map((u) => ({ ...u, destination: s.name })));
  const sum = (key) => emitters.reduce((n, e) => n + e.stats[key], 0);
  const otherAnswers = emitters.flatMap((e) => e.stats.other);
  const crashes = relays.flatMap((r) => r.crashes.map((c) => ({ relay: r.name, ...c })));
  const expectedLogouts = [...acked].filter((uid) => registry.get(uid)?.type === 'LOGOUT').length;
  const quarantinedValid = emitters.reduce((n, e) => n + e.stats.quarantined, 0);
  return {
    scenario: result.name,
    store:
      (result.store === 'redis' ? `redis, appendfsync ${result.fsync}, ${result.replicas} replicas` : 'embedded (SQLite), 1 replica') +
      (result.destinations === 'brokers' ? '; to RabbitMQ, NATS, PostgreSQL' : ''),
    chaosSeconds: result.durationMs / 1000,
    sent: [...registry.values()].filter((e) => e.posted).length,
    acked: acked.size,
    lost: lost.size,
    lostByDestination: Object.fromEntries(Object.entries(lostAt).map(([k, v]) => [k, v.length])),
    lostSample: [...lost].slice(0, 20),
    unexpected: unexpected.length,
    unexpectedSample: unexpected.slice(0, 10),
    duplicatesDelivered: sinks.reduce((n, s) => n + s.duplicates(), 0),
    storedTwice: Math.max(...sinks.map((s) => s.storedTwice())),
    ackedBySender: {
      emitter: emitters.filter((e) => e.format === 'json' || e.format === 'flatbuffer').reduce((n, e) => n + e.acked.size, 0),
      phasetwo: emitters.filter((e) => e.format === 'phasetwo').reduce((n, e) => n + e.acked.size, 0),
      ssf: emitters.filter((e) => e.format === 'ssf').reduce((n, e) => n + e.acked.size, 0),
    },
    duplicatesByDestination: Object.fromEntries(sinks.map((s) => [s.name, s.duplicates()])),
    /** At destinations that deduplicate by uid (NATS JetStream, PostgreSQL): must be 0. */
    duplicatesWhereExactlyOnce: sinks.filter((s) => s.exactlyOnce).reduce((n, s) => n + s.duplicates(), 0),
    answers: {
      accepted: sum('accepted'),
      duplicate: sum('duplicate'),
      quarantinedValidEvents: quarantinedValid,
      unavailable503: sum('unavailable'),
      bufferFull503: sum('full'),
      overloaded503: sum('overloaded'),
      connectionErrors: sum('connectionErrors'),
      timeouts: sum('timeouts'),
      other: otherAnswers.length,
      otherSample: otherAnswers.filter(Boolean).slice(0, 10),
    },
    crashes,
    drain: {
      complete: drain.complete,
      seconds: drain.ms / 1000,
      emittersFlushedSeconds: drain.emittersFlushedMs === null ? null : drain.emittersFlushedMs / 1000,
    },
    logouts: {
      expected: expectedLogouts,
      heard: expectedLogouts - logouts.revoked.length - logouts.missing.length,
      revokedNotHeard: logouts.revoked.length,
      missing: logouts.missing.length,
      sseGaps: watcher.gaps,
    },
    emitterDrops: sum('dropped'),
    faults: result.faultLog.map((f) => ({
      kind: f.kind,
      target: f.target,
      at: f.startedMs,
      until: f.endedMs,
      ...(f.filled !== undefined ? { filled: f.filled } : {}),
      ...(f.error ? { error: f.error } : {}),
    })),
    deadLetters: Array.isArray(result.deadLetters)
      ? Object.fromEntries(result.deadLetters.map((d) => [d.name, d.deadLetters]))
      : result.deadLetters,
  };
}

/** Failures that make the run exit 1; a scenario that measures loss (everysec) reports it instead. */
export function failures(v, { lossAsserted }) {
  const out = [];
  if (v.lost > 0 && lossAsserted) out.push(`${v.lost} events answered 200 were lost`);
  if (v.unexpected > 0) out.push(`${v.unexpected} unexpected deliveries`);
  if (v.storedTwice > 0 && lossAsserted)
    out.push(`${v.storedTwice} Phase Two events or SETs stored twice (their dedup key let a resend through)`);
  if (v.duplicatesWhereExactlyOnce > 0) out.push(`${v.duplicatesWhereExactlyOnce} duplicates where one copy per uid is promised`);
  if (v.answers.other > 0) out.push(`${v.answers.other} answers other than 200 / 503 to valid events`);
  if (v.answers.quarantinedValidEvents > 0) out.push(`${v.answers.quarantinedValidEvents} valid events quarantined`);
  if (v.crashes.length > 0) out.push(`${v.crashes.length} relay crashes`);
  if (!v.drain.complete && lossAsserted) out.push('did not drain in time');
  if (v.logouts.missing > 0 && lossAsserted) out.push(`${v.logouts.missing} acked LOGOUTs neither published nor revoked`);
  return out;
}

const pad = (s, n) => String(s).padEnd(n);

export function printTable(verdicts, write = (line) => process.stdout.write(`${line}\n`)) {
  const rows = [
    ['', ...verdicts.map((v) => v.scenario)],
    ['store', ...verdicts.map((v) => v.store)],
    ['events answered 200 (acked)', ...verdicts.map((v) => v.acked)],
    [
      'acked: emitter / p2 / SSF (202)',
      ...verdicts.map((v) => `${v.ackedBySender.emitter} / ${v.ackedBySender.phasetwo} / ${v.ackedBySender.ssf}`),
    ],
    ['LOST', ...verdicts.map((v) => v.lost)],
    ['UNEXPECTED', ...verdicts.map((v) => v.unexpected)],
    ['duplicates delivered', ...verdicts.map((v) => v.duplicatesDelivered)],
    ['p2 events / SETs stored twice', ...verdicts.map((v) => v.storedTwice)],
    [
      '503 store unavailable / buffer full / overloaded',
      ...verdicts.map((v) => `${v.answers.unavailable503} / ${v.answers.bufferFull503} / ${v.answers.overloaded503}`),
    ],
    ['other non-200 answers', ...verdicts.map((v) => v.answers.other)],
    ['connection errors / timeouts', ...verdicts.map((v) => `${v.answers.connectionErrors} / ${v.answers.timeouts}`)],
    ['relay crashes', ...verdicts.map((v) => v.crashes.length)],
    [
      'time to drain (s)',
      ...verdicts.map((v) => (v.drain.complete ? v.drain.seconds.toFixed(1) : `>${v.drain.seconds.toFixed(0)} (incomplete)`)),
    ],
    [
      'logouts expected / heard / revoked only',
      ...verdicts.map((v) => `${v.logouts.expected} / ${v.logouts.heard} / ${v.logouts.revokedNotHeard}`),
    ],
    ["emitter-side drops (not the relay's)", ...verdicts.map((v) => v.emitterDrops)],
    ['faults', ...verdicts.map((v) => v.faults.length)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)) + 2);
  for (const r of rows)
    write(
      r
        .map((c, i) => pad(c, widths[i]))
        .join('| ')
        .trimEnd(),
    );
}
