// How one of Keycloak's lists is read to its end, page by page, without skipping an event while new
// ones arrive. Keycloak pages by offset only (`first`, `max`), ordered by time alone (`direction=asc`,
// `dateFrom` inclusive; events of the same millisecond come in whatever order the database gives,
// which may differ between two queries). An offset into a list that grows or reorders shifts: an
// event inserted before the offset moves the next page's first entry back (read twice: harmless,
// the store deduplicates by Keycloak's id), but one inserted before the offset is never seen, and a
// millisecond's events reordered across a page boundary can swap one read for one not read.
//
// So no page relies on an offset past what was read: each page asks again from the newest
// millisecond read (`dateFrom` = its time, `first` = 0) for `max` = the page size plus the events
// of that millisecond already stored, and skips those. Whatever the order within that millisecond
// and whatever arrived in it meanwhile, the page holds every event of it not yet stored, or at least
// a page size of them: nothing is skipped, and each page moves on by a page size at least (a
// millisecond of thousands of events costs longer pages, never a loop).
//
// Between runs, an event Keycloak stamped before the newest one read but committed after the run read
// past its time (a long transaction, another Keycloak node's clock) would be missed: each run starts
// again `overlap` before the previous run's start when that is earlier than its checkpoint (what it
// reads again is deduplicated). A run far behind starts at its checkpoint, overlap-free, so a
// backlog always moves. With an overlap at least the longest commit delay plus the clock difference
// between Keycloak and the relay, a run that reads to the end has stored every event Keycloak had
// saved when it started: `caughtUpAt`, what kcr_source_lag_seconds counts from.
//
// The functions are pure; readList drives them with the I/O it is given (HTTP, store, checkpoint).
import { KCR_ERR_SOURCE_ANSWER } from '../../errors.js';

/** A position in a list: the newest millisecond read, and the events of it already stored. */
export interface Cursor {
  /** Keycloak time, epoch ms. */
  time: number;
  ids: string[];
}

/** What the store keeps of a list between runs (and between replicas). */
export interface ListCheckpoint extends Cursor {
  /** The relay's clock when the run that wrote it started. */
  runStartedAt: number;
  /** The relay's clock at the start of the last run that read the list to its end; null: none yet. */
  caughtUpAt: number | null;
}

export interface PageQuery {
  dateFrom: number;
  first: number;
  max: number;
}

export interface PagingOptions {
  /** Where the first run starts without a checkpoint (epoch ms). */
  since: number;
  overlapMs: number;
  pageSize: number;
  /** Events stored per run at most: a run that reaches it ends after that page. */
  maxPerRun: number;
}

/** Where a run that starts now begins. */
export function startOfRun(checkpoint: ListCheckpoint | null, options: Pick<PagingOptions, 'since' | 'overlapMs'>): Cursor {
  if (checkpoint === null) return { time: options.since, ids: [] };
  const again = checkpoint.runStartedAt - options.overlapMs;
  return again < checkpoint.time ? { time: again, ids: [] } : { time: checkpoint.time, ids: checkpoint.ids };
}

export function pageQuery(cursor: Cursor, pageSize: number): PageQuery {
  return { dateFrom: cursor.time, first: 0, max: pageSize + cursor.ids.length };
}

/** An entry of a page as paging needs it. */
export interface Entry {
  id: string;
  time: number;
}

/**
 * The entries of a page not yet stored, in order, and whether the list ends with this page (it
 * held fewer than asked for). Throws KCR_ERR_SOURCE_ANSWER for a page that is not in ascending time
 * from `dateFrom` (a Keycloak before 26.2 ignores `direction`): the cursor only moves forward.
 */
export function freshEntries<E extends Entry>(
  source: string,
  cursor: Cursor,
  query: PageQuery,
  page: readonly E[],
): { fresh: E[]; end: boolean } {
  const seen = new Set(cursor.ids);
  const fresh: E[] = [];
  let previous = query.dateFrom;
  for (const entry of page) {
    if (entry.time < previous) {
      throw KCR_ERR_SOURCE_ANSWER(
        source,
        `a page not in ascending time from dateFrom ${query.dateFrom} (is Keycloak 26.2 or later, which honours direction=asc?)`,
      );
    }
    previous = entry.time;
    if (seen.has(entry.id)) continue;
    seen.add(entry.id);
    fresh.push(entry);
  }
  return { fresh, end: page.length < query.max };
}

/** The cursor once `stored` (fresh entries of a page, in order) are in the store. */
export function advance(cursor: Cursor, stored: readonly Entry[]): Cursor {
  let { time } = cursor;
  let ids = cursor.ids;
  for (const entry of stored) {
    if (entry.time > time) {
      time = entry.time;
      ids = [entry.id];
    } else {
      ids = [...ids, entry.id];
    }
  }
  return { time, ids };
}

/** The I/O a list's run is given. */
export interface ListIo<E extends Entry> {
  /** One page of the list, its entries mapped (throws on an unreadable answer or entry). */
  fetch(query: PageQuery): Promise<E[]>;
  /**
   * Stores the entries, in order, as far as it can: how many of the first ones are stored (or known
   * duplicates), and what stopped it before the end (a full buffer, the store unreachable).
   */
  store(entries: E[]): Promise<{ stored: number; failure?: unknown }>;
  /** Saves the list's checkpoint (and renews the source's lease); throws when another replica took the source over. */
  save(checkpoint: ListCheckpoint): Promise<void>;
}

export interface ListRun {
  checkpoint: ListCheckpoint | null;
  /** Entries handed to the store (new or duplicates). */
  stored: number;
  /** The list was read to its end; false: the run stopped at maxPerRun, more is waiting. */
  end: boolean;
}

/**
 * Reads a list from its checkpoint to its end, or to `maxPerRun` stored events, saving the
 * checkpoint after each page. What stops it (Keycloak, the store, a lost lease) is thrown, once
 * what was stored before it is checkpointed.
 */
export async function readList<E extends Entry>(
  io: ListIo<E>,
  source: string,
  checkpoint: ListCheckpoint | null,
  options: PagingOptions,
  runStartedAt: number,
): Promise<ListRun> {
  let cursor = startOfRun(checkpoint, options);
  let stored = 0;
  let saved = checkpoint;
  const save = async (caughtUp: boolean): Promise<void> => {
    saved = { ...cursor, runStartedAt, caughtUpAt: caughtUp ? runStartedAt : (checkpoint?.caughtUpAt ?? null) };
    await io.save(saved);
  };
  for (;;) {
    const query = pageQuery(cursor, options.pageSize);
    const { fresh, end } = freshEntries(source, cursor, query, await io.fetch(query));
    const outcome = await io.store(fresh);
    cursor = advance(cursor, fresh.slice(0, outcome.stored));
    stored += outcome.stored;
    if (outcome.stored < fresh.length) {
      await save(false);
      throw outcome.failure;
    }
    if (end || stored >= options.maxPerRun) {
      await save(end);
      return { checkpoint: saved, stored, end };
    }
    await save(false);
  }
}
