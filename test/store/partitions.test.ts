// PARTITIONS on Redis: a uid's dedup hash, ring buffer entry and lookups live in the partition of
// the uid; every consumer group reads every partition; BUFFER_CAPACITY stays the total bound; and a
// store written with one partition count refuses another.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import type { CanonicalEvent } from '../../src/event/canonical.js';
import { createStore } from '../../src/store/create-store.js';
import { ENDS_SESSIONS, LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS } from '../../src/logout/group.js';
import { type EventStore, type StoredEntry } from '../../src/store/event-store.js';
import { partitionKeys, partitionOf } from '../../src/store/redis/keys.js';
import { canonicalEvent } from '../support/canonical.js';
import { redisStores } from '../support/redis-stores.js';
import { uniquePrefix } from '../support/relay.js';

const { redis, redisUrl, open } = redisStores({ PARTITIONS: '6' });

async function fill(store: EventStore, n: number): Promise<CanonicalEvent[]> {
  const events = Array.from({ length: n }, () => canonicalEvent());
  for (const e of events) expect((await store.append(e, Date.now())).status).toBe('accepted');
  return events;
}

const uids = (entries: Array<StoredEntry | CanonicalEvent>) => entries.map((e) => ('event' in e ? e.event.uid : e.uid)).sort();

describe('six partitions on one Redis', () => {
  it('puts each event in the partition of its uid, dedups and looks it up there', async () => {
    const prefix = uniquePrefix();
    const store = await open(prefix);
    const events = await fill(store, 60);
    const lengths = await Promise.all([0, 1, 2, 3, 4, 5].map((p) => redis.xlen(partitionKeys(prefix, p).events)));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(60);
    expect(lengths.filter((n) => n > 0).length).toBeGreaterThan(3);
    for (const e of events.slice(0, 10)) {
      const home = await redis.xrange(partitionKeys(prefix, partitionOf(e.uid, 6)).events, '-', '+');
      expect(home.filter(([, fields]) => fields[1] === e.uid)).toHaveLength(1);
      expect(await store.append({ ...e, type: 'LOGOUT' }, Date.now())).toEqual({ status: 'duplicate' });
      expect(await store.lookup(e.uid)).toMatchObject({ status: 'found', event: { uid: e.uid, type: 'LOGIN' } });
    }
  });

  it("hands every partition's entries to a group once, a turn starting with each partition in turn", async () => {
    const store = await open(uniquePrefix());
    await store.ensureGroup('audit', 'start');
    const events = await fill(store, 48);
    const first = await store.readNew('audit', 'c1', 8, 0);
    expect(new Set(first.map((e) => partitionOf(e.event.uid, 6))).size).toBeGreaterThan(1);
    const all = [...first];
    for (let i = 0; i < 20 && all.length < 48; i++) all.push(...(await store.readNew('audit', 'c1', 8, 0)));
    expect(uids(all)).toEqual(uids(events));
    expect(await store.readNew('audit', 'c1', 8, 0)).toEqual([]);
    const state = await store.groupState('audit');
    expect(state).toMatchObject({ pending: 48, lag: 0 });
    expect(state.partitionLag).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('wakes a blocked read on an append to any partition', async () => {
    const store = await open(uniquePrefix());
    await store.ensureGroup('audit', 'end');
    for (let i = 0; i < 3; i++) {
      const event = canonicalEvent();
      const reading = store.readNew('audit', 'c1', 10, 15_000);
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      await store.append(event, Date.now());
      expect(uids(await reading)).toEqual([event.uid]);
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });

  it("hands the logout group only the events that may end sessions, from every partition, woken by another replica's append", async () => {
    const prefix = uniquePrefix();
    const [reader, writer] = [await open(prefix), await open(prefix)];
    await reader.ensureGroup(LOGOUT_GROUP, 'end', LOGOUT_GROUP_OPTIONS);
    const reading = (async () => {
      const handed: StoredEntry[] = [];
      for (let attempt = 0; attempt < 200 && handed.length < 2; attempt++)
        handed.push(...(await reader.readNew(LOGOUT_GROUP, 'c1', 10, 15_000)));
      return handed;
    })();
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const ends = [canonicalEvent(), canonicalEvent()];
    for (const event of Array.from({ length: 30 }, () => canonicalEvent()))
      await writer.append(event, Date.now(), { tags: { [ENDS_SESSIONS]: false } });
    await writer.append(ends[0]!, Date.now(), { tags: { [ENDS_SESSIONS]: true } });
    await writer.append(ends[1]!, Date.now());
    expect(uids(await reading)).toEqual(uids(ends));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await reader.groupState(LOGOUT_GROUP)).toMatchObject({ pending: 2 });
  });

  it('resumes, claims, dead-letters and scans across partitions', async () => {
    const store = await open(uniquePrefix());
    await store.ensureGroup('audit', 'start');
    const events = await fill(store, 30);
    const handed: StoredEntry[] = [];
    for (let i = 0; i < 10 && handed.length < 30; i++) handed.push(...(await store.readNew('audit', 'c1', 10, 0)));
    // Its own pending entries, page by page over every partition.
    const resumed: StoredEntry[] = [];
    let cursor: string | null = '0';
    for (let i = 0; i < 40 && cursor !== null; i++) {
      const page = await store.resumePending('audit', 'c1', cursor, 4, new Set([handed[0]!.id]));
      resumed.push(...page.entries);
      cursor = page.cursor;
    }
    expect(cursor).toBeNull();
    expect(uids(resumed)).toEqual(uids(handed.slice(1)));
    // Another consumer takes them all over once idle.
    await new Promise((r) => setTimeout(r, 120));
    const { entries: claimed } = await store.claimStale('audit', 'c2', 100, 100);
    expect(uids(claimed)).toEqual(uids(events));
    await store.ack(
      'audit',
      claimed.slice(0, 20).map((e) => e.id),
    );
    for (const e of claimed.slice(20))
      await store.deadLetter('audit', e, { attempts: 3, lastStatus: 500, lastError: 'HTTP 500' }, Date.now());
    expect(await store.groupState('audit')).toMatchObject({ pending: 0, lag: 0, deadLetters: 10 });
    const letters = [...(await store.listDeadLetters('audit', 4))];
    for (let i = 0; i < 10 && letters.length < 10; i++) letters.push(...(await store.listDeadLetters('audit', 4, letters.at(-1)!.id)));
    expect(uids(letters.map((l) => l.event))).toEqual(uids(claimed.slice(20)));
    expect(letters.map((l) => l.body)).toEqual(expect.arrayContaining(claimed.slice(20).map((e) => e.body)));
    await store.removeDeadLetters(
      'audit',
      letters.map((l) => l.id),
    );
    expect(await store.groupState('audit')).toMatchObject({ deadLetters: 0 });
    const scanned = [...(await store.scan(null, 7))];
    for (let i = 0; i < 10 && scanned.length < 30; i++) scanned.push(...(await store.scan(scanned.at(-1)!.id, 7)));
    expect(uids(scanned)).toEqual(uids(events));
  });

  it('keeps BUFFER_CAPACITY as the bound of all partitions together', async () => {
    const store = await open(uniquePrefix(), { BUFFER_CAPACITY: '12' });
    await fill(store, 100);
    expect(await store.bufferLength()).toBeLessThanOrEqual(12);
  });
});

describe('the partition count of a store', () => {
  it('is refused at start-up when it differs from what the data was written with, naming PARTITIONS', async () => {
    const prefix = uniquePrefix();
    const legacy = (await createStore(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: redisUrl, KEY_PREFIX: prefix }))).store;
    await legacy.append(canonicalEvent(), Date.now());
    await legacy.close();
    await expect(open(prefix)).rejects.toMatchObject({
      code: 'KCR_ERR_CONFIG',
      message: expect.stringMatching(/PARTITIONS: .*written with PARTITIONS=1; this relay runs with PARTITIONS=6/),
    });

    const six = uniquePrefix();
    await fill(await open(six), 1);
    await expect(open(six, { PARTITIONS: '1' })).rejects.toMatchObject({
      code: 'KCR_ERR_CONFIG',
      message: expect.stringMatching(/PARTITIONS=6; this relay runs with PARTITIONS=1/),
    });
    expect((await (await open(six)).append(canonicalEvent(), Date.now())).status).toBe('accepted');
  });
});
