// The fault schedule of one chaos scenario, drawn up front from the seed, and its execution. Two
// tracks run side by side: processes (kill -9 of a relay replica, Redis SIGKILL, Redis paused with
// SIGSTOP; with WORKERS, kill -9 of one relay process of a replica, which its supervisor restarts) and destinations (down, 500, 429, hanging, and "fill": a destination down until ingest
// answers 503 KCR_ERR_BUFFER_FULL under BUFFER_OVERFLOW=reject). Each track goes through all its
// kinds in a seeded order before repeating one, so a short run still sees every kind.
import { setTimeout as sleep } from 'node:timers/promises';

const PROCESS_KINDS = { redis: ['relay-kill', 'redis-kill', 'redis-pause'], embedded: ['relay-kill'] };
const SINK_KINDS = ['sink-down', 'sink-500', 'sink-429', 'sink-hang', 'fill'];
const FILL_MAX_MS = 20_000;

function holdMs(prng, kind, quick) {
  switch (kind) {
    case 'relay-kill':
      return prng.int(500, 3_000);
    case 'worker-kill':
      return prng.int(1_000, 3_000);
    case 'redis-kill':
      return prng.int(1_000, 3_000);
    case 'redis-pause':
      return prng.int(2_000, 3_000);
    case 'fill':
      return FILL_MAX_MS;
    default:
      return quick ? prng.int(1_500, 3_000) : prng.int(2_000, 6_000);
  }
}

function track(prng, name, kinds, { durationMs, quick, targets, first }) {
  const plan = [];
  let order = first ? [first, ...prng.shuffled(kinds.filter((k) => k !== first))] : [];
  let at = prng.int(1_000, 2_000);
  for (;;) {
    if (order.length === 0) order = prng.shuffled(kinds);
    const kind = order.shift();
    const hold = holdMs(prng, kind, quick);
    // A fill lasts until the buffer is full: it is given its whole budget in the plan.
    if (at + (kind === 'fill' ? 6_000 : hold) > durationMs - 1_000) break;
    plan.push({ track: name, at, kind, hold, target: targets(kind, prng) });
    at += (kind === 'fill' ? 8_000 : hold) + prng.int(quick ? 500 : 1_000, quick ? 1_500 : 3_000);
  }
  return plan;
}

/** The whole schedule: [{ at, kind, hold, target }], `at` in ms from the start of the chaos window. */
export function planFaults(prng, { store, durationMs, quick, replicas, workers = 1, sinks }) {
  // Without WORKERS the kinds (so the schedule of a seed) are as they were.
  const kinds = workers > 1 ? [...PROCESS_KINDS[store], 'worker-kill'] : PROCESS_KINDS[store];
  // A worker kill goes first: a short run still sees one.
  const processes = track(prng.fork('processes'), 'processes', kinds, {
    durationMs,
    quick,
    ...(workers > 1 ? { first: 'worker-kill' } : {}),
    targets: (kind, p) => {
      if (kind === 'relay-kill') return p.int(0, replicas - 1);
      if (kind === 'worker-kill') return { relay: p.int(0, replicas - 1), worker: p.int(0, workers - 1) };
      return 0;
    },
  });
  // The fill goes first: a short run still fills the buffer on purpose once.
  const destinations = track(prng.fork('destinations'), 'destinations', SINK_KINDS, {
    durationMs,
    quick,
    first: 'fill',
    targets: (_kind, p) => p.int(0, sinks - 1),
  });
  return [...processes, ...destinations].sort((a, b) => a.at - b.at);
}

const SINK_MODE = { 'sink-down': 'down', 'sink-500': 'error500', 'sink-429': 'throttle429', 'sink-hang': 'hang', fill: 'down' };

/**
 * Runs the plan against the scenario's services; resolves when every fault has been healed. Each
 * track runs its faults one after the other: a fault starts at its planned time or when the
 * previous one of its track is over (a restart takes a moment), and none starts after `endMs`.
 * `ctx`: { relays, redis, sinks, fullAnswers: () => number, log }.
 */
export async function runFaults(plan, ctx, startedAt, endMs) {
  const tracks = Map.groupBy(plan, (f) => f.track);
  await Promise.all(
    [...tracks.values()].map(async (faults) => {
      for (const fault of faults) {
        await sleep(Math.max(0, startedAt + fault.at - Date.now()));
        if (Date.now() - startedAt > endMs - 1_000) break;
        await runFault(fault, ctx, startedAt);
      }
    }),
  );
}

async function runFault(fault, ctx, startedAt) {
  const record = { ...fault, startedMs: Date.now() - startedAt };
  ctx.log.push(record);
  try {
    switch (fault.kind) {
      case 'relay-kill': {
        const relay = ctx.relays[fault.target];
        await relay.kill9();
        await sleep(fault.hold);
        await relay.start();
        break;
      }
      case 'worker-kill': {
        // The supervisor restarts it; the replica keeps serving on its other processes meanwhile.
        const relay = ctx.relays[fault.target.relay];
        record.killedPid = relay.kill9Worker(fault.target.worker);
        await sleep(fault.hold);
        break;
      }
      case 'redis-kill':
        await ctx.redis.kill9();
        await sleep(fault.hold);
        await ctx.redis.start();
        break;
      case 'redis-pause':
        ctx.redis.pause();
        await sleep(fault.hold);
        ctx.redis.resume();
        break;
      case 'fill': {
        const sink = ctx.sinks[fault.target];
        const before = ctx.fullAnswers();
        await sink.set('down');
        const deadline = Date.now() + fault.hold;
        while (ctx.fullAnswers() === before && Date.now() < deadline) await sleep(100);
        record.filled = ctx.fullAnswers() > before;
        await sink.set('ok');
        break;
      }
      default: {
        const sink = ctx.sinks[fault.target];
        await sink.set(SINK_MODE[fault.kind]);
        await sleep(fault.hold);
        await sink.set('ok');
      }
    }
  } catch (err) {
    record.error = err.message;
  }
  record.endedMs = Date.now() - startedAt;
}
