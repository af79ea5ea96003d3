// How much CPU processes OUTSIDE the benchmark used during a measurement. The machine is shared
// (other sessions build and test in parallel on the same 2 cores), so every figure is reported
// with the foreign load it was taken under: a slow run next to a busy compiler is told apart from
// a slow relay. Linux /proc only; elsewhere the column stays empty.
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK)

function machineBusyTicks() {
  // cpu  user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return total - f[3] - (f[4] ?? 0);
}

function processTicks(pid) {
  try {
    // Fields after the ")" closing the command name: utime is the 12th, stime the 13th.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0; // exited meanwhile
  }
}

/** Starts a measurement; `pids()` lists the benchmark's own processes (this one included). */
export function cpuMeter(pids) {
  let supported = true;
  let start;
  try {
    start = { at: process.hrtime.bigint(), busy: machineBusyTicks(), ours: new Map(pids().map((p) => [p, processTicks(p)])) };
  } catch {
    supported = false;
  }
  return {
    /** Cores used by the benchmark's processes and by everything else, averaged over the interval. */
    stop() {
      if (!supported) return { oursCores: NaN, foreignCores: NaN };
      const seconds = Number(process.hrtime.bigint() - start.at) / 1e9;
      const busy = machineBusyTicks() - start.busy;
      let ours = 0;
      for (const [pid, before] of start.ours) ours += processTicks(pid) - before;
      return { oursCores: ours / TICKS_PER_S / seconds, foreignCores: Math.max(0, busy - ours) / TICKS_PER_S / seconds };
    },
  };
}

/**
 * CPU seconds (user + system, from /proc/<pid>/stat) each of `pids` uses from now until stop():
 * divided by the events it handled, a cost per event that holds on any machine. Ticks are 10 ms,
 * so a measurement needs seconds of load to be meaningful.
 */
export function processCpu(pids) {
  const start = new Map(pids.map((p) => [p, processTicks(p)]));
  return { stop: () => new Map([...start].map(([p, before]) => [p, (processTicks(p) - before) / TICKS_PER_S])) };
}

/**
 * Waits (at most `maxWaitMs`) until the rest of the machine has used less than `threshold` cores
 * over a `windowMs` window: a measurement is then less likely to start next to someone's build.
 * Returns the foreign load of the last window and how long it waited.
 */
export async function waitForQuiet(pids, { threshold = 0.2, windowMs = 500, maxWaitMs = 10_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const meter = cpuMeter(pids);
    await new Promise((r) => setTimeout(r, windowMs));
    const { foreignCores } = meter.stop();
    const waitedMs = Date.now() - started;
    if (!(foreignCores >= threshold) || waitedMs >= maxWaitMs) return { foreignCores, waitedMs, quiet: !(foreignCores >= threshold) };
  }
}
