// The catch-up's paging (src/sources/keycloak/paging.ts) against a model of Keycloak's list: offset
// paging ordered by time alone, the events of one millisecond in a new order on every query, new
// events arriving between pages (many in the millisecond just read), events committed late (up to
// the overlap after their time), pages and appends that fail. Properties: a run that reads to the
// end has stored every event committed before it started; once arrivals stop, everything is stored.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  advance,
  freshEntries,
  pageQuery,
  readList,
  startOfRun,
  type Entry,
  type ListCheckpoint,
  type ListIo,
  type PageQuery,
} from '../../../src/sources/keycloak/paging.js';

/** A small deterministic generator, so that fast-check's seed decides the whole world. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Saved extends Entry {
  /** When Keycloak's transaction committed it: invisible before. */
  committedAt: number;
}

class World {
  now = 1_000_000;
  readonly saved: Saved[] = [];
  readonly stored = new Map<string, number>();
  /** No more arrivals. */
  quiet = false;
  private next = 0;
  constructor(
    readonly rnd: () => number,
    readonly commitDelayMs: number,
  ) {}

  /** Events Keycloak saves now: most stamped now, some stamped up to the commit delay earlier. */
  arrive(n: number): void {
    for (let i = 0; i < n && !this.quiet; i++) {
      const late = this.rnd() < 0.3 ? Math.floor(this.rnd() * (this.commitDelayMs + 1)) : 0;
      this.saved.push({ id: `e${this.next++}`, time: this.now - late, committedAt: this.now });
    }
  }

  tick(maxMs: number): void {
    this.now += Math.floor(this.rnd() * (maxMs + 1));
  }

  /** Keycloak's answer: time >= dateFrom, by time, a millisecond's events in a fresh order, then the offset. */
  query(q: PageQuery): Entry[] {
    const visible = this.saved.filter((e) => e.committedAt <= this.now && e.time >= q.dateFrom);
    const keyed = visible.map((e) => ({ e, k: this.rnd() }));
    keyed.sort((a, b) => a.e.time - b.e.time || a.k - b.k);
    return keyed.slice(q.first, q.first + q.max).map(({ e }) => ({ id: e.id, time: e.time }));
  }
}

interface Setup {
  seed: number;
  pageSize: number;
  maxPerRun: number;
  commitDelayMs: number;
  failures: boolean;
}

/** Runs the poller's loop against the world; `check` sees each run that read to the end, with its start. */
async function play({ seed, pageSize, maxPerRun, commitDelayMs, failures }: Setup, check: (world: World, startedAt: number) => void) {
  const world = new World(random(seed), commitDelayMs);
  const overlapMs = commitDelayMs;
  let checkpoint: ListCheckpoint | null = null;
  const io: ListIo<Entry> = {
    fetch: async (query) => {
      // Arrivals while the read is under way, often in the very millisecond just read.
      world.arrive(Math.floor(world.rnd() * 4));
      world.tick(2);
      if (failures && world.rnd() < 0.05) throw new Error('503');
      return world.query(query);
    },
    store: async (entries) => {
      const stored = failures && world.rnd() < 0.05 ? Math.floor(world.rnd() * entries.length) : entries.length;
      for (const e of entries.slice(0, stored)) world.stored.set(e.id, (world.stored.get(e.id) ?? 0) + 1);
      return stored < entries.length ? { stored, failure: new Error('store') } : { stored };
    },
    save: async (saved) => {
      checkpoint = saved;
    },
  };
  world.arrive(20);
  // 40 runs with arrivals, then runs (bounded) until two read to the end in a row with nothing arriving.
  let quietEnds = 0;
  for (let run = 0; run < 5_000 && quietEnds < 2; run++) {
    world.quiet = run >= 40;
    world.arrive(Math.floor(world.rnd() * 10));
    // Runs are at least the commit delay apart once arrivals stop, as interval > overlap would make them.
    world.tick(world.quiet ? commitDelayMs + 5 : 30);
    const startedAt = world.now;
    try {
      const outcome = await readList(io, 'model', checkpoint, { since: 0, overlapMs, pageSize, maxPerRun }, startedAt);
      if (outcome.end) check(world, startedAt);
      if (world.quiet) quietEnds = outcome.end ? quietEnds + 1 : 0;
    } catch {
      // A failed run: the next one goes on from the checkpoint.
    }
  }
  expect(quietEnds).toBe(2);
  return world;
}

const setups = fc.record({
  seed: fc.integer(),
  pageSize: fc.integer({ min: 1, max: 6 }),
  maxPerRun: fc.integer({ min: 1, max: 40 }),
  commitDelayMs: fc.integer({ min: 0, max: 20 }),
  failures: fc.boolean(),
});

describe('reading a list that moves under the reader', () => {
  it('a run that reads to the end has stored every event committed before it started', async () => {
    await fc.assert(
      fc.asyncProperty(setups, async (setup) => {
        await play(setup, (world, startedAt) => {
          const missing = world.saved.filter((e) => e.committedAt < startedAt && !world.stored.has(e.id));
          expect(missing).toEqual([]);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('once arrivals stop, every event is stored, whatever failed on the way', async () => {
    await fc.assert(
      fc.asyncProperty(setups, async (setup) => {
        const world = await play(setup, () => {});
        expect(world.saved.filter((e) => !world.stored.has(e.id))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the pure steps', () => {
  it('each page asks again from the newest millisecond read, for the page size plus what was stored of it', () => {
    expect(pageQuery({ time: 500, ids: ['a', 'b'] }, 10)).toEqual({ dateFrom: 500, first: 0, max: 12 });
  });

  it('a page holds at least a page size of new entries unless the list ends: a millisecond of many events never loops', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (tie, pageSize, seed) => {
        const rnd = random(seed);
        const group = Array.from({ length: tie }, (_, i) => ({ id: `t${i}`, time: 7 }));
        let cursor = { time: 7, ids: [] as string[] };
        for (let pages = 0; ; pages++) {
          expect(pages).toBeLessThanOrEqual(tie);
          const query = pageQuery(cursor, pageSize);
          const shuffled = [...group].sort(() => rnd() - 0.5).slice(0, query.max);
          const { fresh, end } = freshEntries('model', cursor, query, shuffled);
          if (!end) expect(fresh.length).toBeGreaterThanOrEqual(pageSize);
          cursor = advance(cursor, fresh);
          if (end) break;
        }
        expect(new Set(cursor.ids)).toEqual(new Set(group.map((e) => e.id)));
      }),
    );
  });

  it('a run starts again an overlap before the previous run began, unless its checkpoint is further back', () => {
    const checkpoint: ListCheckpoint = { time: 9_000, ids: ['x'], runStartedAt: 9_500, caughtUpAt: null };
    expect(startOfRun(checkpoint, { since: 0, overlapMs: 1_000 })).toEqual({ time: 8_500, ids: [] });
    expect(startOfRun({ ...checkpoint, runStartedAt: 20_000 }, { since: 0, overlapMs: 1_000 })).toEqual({ time: 9_000, ids: ['x'] });
    expect(startOfRun(null, { since: 123, overlapMs: 1_000 })).toEqual({ time: 123, ids: [] });
  });

  it('refuses a page that goes back in time (a Keycloak that ignores direction=asc)', () => {
    const query = { dateFrom: 10, first: 0, max: 3 };
    expect(() =>
      freshEntries('kc', { time: 10, ids: [] }, query, [
        { id: 'a', time: 12 },
        { id: 'b', time: 11 },
      ]),
    ).toThrow(/not in ascending time/);
    expect(() => freshEntries('kc', { time: 10, ids: [] }, query, [{ id: 'a', time: 9 }])).toThrow(/not in ascending time/);
  });
});
