// The EventStore contract (src/store/event-store.ts), run unchanged against every store: the
// embedded one in a temp DATA_DIR and Redis under a unique KEY_PREFIX. Each test opens its own
// store through createStore, as the relay does, so only the environment differs between backends.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import type { CanonicalEvent } from '../../src/event/canonical.js';
import { createStore } from '../../src/store/create-store.js';
import { partitionOf } from '../../src/store/redis/keys.js';
import { ENDS_SESSIONS, LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS } from '../../src/logout/group.js';
import { KEEP_FINISHED_JOBS, type EventStore, type StoredEntry } from '../../src/store/event-store.js';
import { canonicalEvent } from '../support/canonical.js';
import { uidAt } from '../support/payloads.js';
import { uniquePrefix } from '../support/relay.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Backend {
  name: string;
  store: 'embedded' | 'redis';
  env(): Record<string, string>;
}

const dataDirs: string[] = [];
const backends: Backend[] = [
  {
    name: 'embedded',
    store: 'embedded',
    env: () => {
      const dir = mkdtempSync(join(tmpdir(), 'kcr-contract-'));
      dataDirs.push(dir);
      return { DATA_DIR: dir };
    },
  },
  { name: 'redis', store: 'redis', env: () => ({ REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() }) },
];

afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The uids of stored entries or of events, in order. */
const uidsOf = (items: Array<{ event: CanonicalEvent } | CanonicalEvent>) =>
  items.map((item) => ('uid' in item ? item.uid : item.event.uid));

describe.each(backends)('EventStore contract: $name', (backend) => {
  const opened: EventStore[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  async function open(settings: Record<string, string> = {}): Promise<EventStore> {
    const config = loadConfig({ AUTH_SECRET: 'contract-secret-0123', ...backend.env(), ...settings });
    const { store } = await createStore(config);
    opened.push(store);
    return store;
  }

  /** The tags of an event that ends sessions or not, as the relay's tagging gives them (src/logout/group.ts). */
  const tagged = (endsSessions: boolean) => ({ tags: { [ENDS_SESSIONS]: endsSessions } });

  /** Appends `n` fresh events, each accepted; returns them in order. */
  function fill(store: EventStore, n: number): Promise<CanonicalEvent[]> {
    return appendTagged(store, Array<undefined>(n).fill(undefined));
  }

  /** Appends one fresh event per tag (undefined: appended without one, as an older relay did), each accepted. */
  async function appendTagged(store: EventStore, tags: Array<boolean | undefined>): Promise<CanonicalEvent[]> {
    const events: CanonicalEvent[] = [];
    for (const endsSessions of tags) {
      const event = canonicalEvent();
      const outcome = await store.append(event, Date.now(), endsSessions === undefined ? undefined : tagged(endsSessions));
      expect(outcome.status).toBe('accepted');
      events.push(event);
    }
    return events;
  }

  describe('appends of one event-loop turn (one commit, one Redis call)', () => {
    it('answers each append of a turn on its own, a uid twice in the turn being a duplicate the second time', async () => {
      const store = await open();
      const [a, b] = [canonicalEvent(), canonicalEvent()];
      const outcomes = await Promise.all([
        store.append(a, Date.now()),
        store.append({ ...a, type: 'LOGOUT' }, Date.now()),
        store.append(b, Date.now()),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['accepted', 'duplicate', 'accepted']);
      expect(uidsOf(await store.scan(null, 10))).toEqual([a.uid, b.uid]);
      expect(await store.lookup(a.uid)).toMatchObject({ event: { type: 'LOGIN' } });
    });

    it('refuses under reject from the append that finds the buffer full, in the middle of a turn', async () => {
      const store = await open({ BUFFER_CAPACITY: '3', BUFFER_OVERFLOW: 'reject' });
      await store.ensureGroup('audit', 'start');
      const [oldest] = await fill(store, 2);
      const turn = [canonicalEvent(), canonicalEvent(), canonicalEvent()];
      const outcomes = await Promise.all(turn.map((e) => store.append(e, Date.now())));
      expect(outcomes).toEqual([
        { status: 'accepted', late: false, evicted: 0, lost: [] },
        { status: 'full', oldestUid: oldest!.uid },
        { status: 'full', oldestUid: oldest!.uid },
      ]);
      expect(await store.lookup(turn[2]!.uid)).toEqual({ status: 'unknown' });
      expect(await store.bufferLength()).toBe(3);
    });

    it('evicts and counts losses append by append within a turn under drop-oldest', async () => {
      const store = await open({ BUFFER_CAPACITY: '2' });
      await store.ensureGroup('audit', 'start');
      const [first, second] = await fill(store, 2);
      const outcomes = await Promise.all([canonicalEvent(), canonicalEvent(), canonicalEvent()].map((e) => store.append(e, Date.now())));
      expect(outcomes.map((o) => (o.status === 'accepted' ? [o.evicted, o.lost.map((l) => l.uid)] : o.status))).toEqual([
        [1, [first!.uid]],
        [1, [second!.uid]],
        [1, [expect.any(String)]],
      ]);
      expect(await store.bufferLength()).toBe(2);
      expect(await store.groupState('audit')).toMatchObject({ lag: 2 });
    });
  });

  describe('append: dedup window and late uids', () => {
    it('accepts a new uid and stores the event as given, flagged not late', async () => {
      const store = await open();
      const event = canonicalEvent();
      expect(await store.append(event, Date.now())).toEqual({ status: 'accepted', late: false, evicted: 0, lost: [] });
      expect(await store.lookup(event.uid)).toEqual({ status: 'found', event: { ...event, late: false } });
    });

    it('answers duplicate for a uid seen within the window and keeps the first copy only', async () => {
      const store = await open();
      const event = canonicalEvent();
      await store.append(event, Date.now());
      expect(await store.append({ ...event, type: 'LOGOUT' }, Date.now())).toEqual({ status: 'duplicate' });
      expect(uidsOf(await store.scan(null, 10))).toEqual([event.uid]);
      expect(await store.lookup(event.uid)).toMatchObject({ status: 'found', event: { type: 'LOGIN' } });
    });

    it('stores a uid older than the window flagged late, and still collapses its resends', async () => {
      const store = await open({ DEDUP_WINDOW: '7d' });
      const event = canonicalEvent(Date.now() - 8 * DAY);
      expect(await store.append(event, Date.now())).toMatchObject({ status: 'accepted', late: true });
      expect(await store.lookup(event.uid)).toMatchObject({ status: 'found', event: { late: true } });
      expect(await store.append(event, Date.now())).toEqual({ status: 'duplicate' });
    });

    it('forgets a uid once its window has passed: the same uid is new again, then late', async () => {
      const store = await open({ DEDUP_WINDOW: '1h' });
      const now = Date.now();
      const event = canonicalEvent(now - 3 * HOUR);
      // Appended back then, inside its window: remembered until about an hour ago.
      expect(await store.append(event, now - 3 * HOUR + 60_000)).toMatchObject({ status: 'accepted', late: false });
      expect(await store.lookup(event.uid)).toEqual({ status: 'unknown' });
      expect(await store.append(event, now)).toMatchObject({ status: 'accepted', late: true });
      expect(await store.append(event, now)).toEqual({ status: 'duplicate' });
      expect(uidsOf(await store.scan(null, 10))).toEqual([event.uid, event.uid]);
    });

    it('keeps a forgotten hour forgotten when one of its uids arrives again', async () => {
      const store = await open({ DEDUP_WINDOW: '1h' });
      const now = Date.now();
      await fill(store, 1);
      const then = now - 3 * HOUR;
      const a = canonicalEvent(then);
      const b = canonicalEvent(then + 5);
      for (const event of [a, b]) expect((await store.append(event, then + 60_000)).status).toBe('accepted');
      // `a` again starts a new life for its hour bucket; `b`, of the same hour, must not come back with it.
      expect(await store.append(a, now)).toMatchObject({ status: 'accepted', late: true });
      expect(await store.lookup(b.uid)).toEqual({ status: 'unknown' });
      expect(await store.append(b, now)).toMatchObject({ status: 'accepted', late: true });
      expect(await store.append(b, now)).toEqual({ status: 'duplicate' });
    });

    it('accepts exactly one of 40 concurrent appends of one uid', async () => {
      const store = await open();
      const event = canonicalEvent();
      const outcomes = await Promise.all(Array.from({ length: 40 }, () => store.append(event, Date.now())));
      expect(outcomes.filter((o) => o.status === 'accepted')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'duplicate')).toHaveLength(39);
      expect(await store.scan(null, 100)).toHaveLength(1);
    });

    it('keeps apart uids that differ only in their low bits (no JS number on the way)', async () => {
      const store = await open();
      const now = Date.now();
      const a = canonicalEvent(now, { uid: uidAt(now, 0) });
      const b = canonicalEvent(now, { uid: uidAt(now, 1) });
      expect(Number(a.uid)).toBe(Number(b.uid));
      expect((await store.append(a, now)).status).toBe('accepted');
      expect((await store.append(b, now)).status).toBe('accepted');
      expect(await store.lookup(b.uid)).toMatchObject({ status: 'found', event: { uid: b.uid } });
    });
  });

  describe('append with a dedup key (a sender without snowflakes: its own id decides)', () => {
    const key = () => `phasetwo:${uidAt(Date.now())}-${Math.random().toString(36).slice(2)}`;

    it('answers duplicate for the same key under another uid, stores the first only, and finds it by its uid', async () => {
      // Four partitions (the embedded store has none): the key, not the uid, decides where both copies
      // go, and the lookup by uid must find it in another partition than its uid's.
      const store = await open({ PARTITIONS: '4' });
      const first = canonicalEvent();
      let dedup = { key: key(), timeMs: Date.now() - 5 * 60_000 };
      while (partitionOf(dedup.key, 4) === partitionOf(first.uid, 4)) dedup = { ...dedup, key: key() };
      expect(await store.append(first, Date.now(), { dedup })).toEqual({ status: 'accepted', late: false, evicted: 0, lost: [] });
      for (let i = 0; i < 8; i++) {
        expect(await store.append(canonicalEvent(Date.now(), { type: 'LOGOUT' }), Date.now(), { dedup })).toEqual({ status: 'duplicate' });
      }
      expect(await store.bufferLength()).toBe(1);
      expect(await store.lookup(first.uid)).toEqual({ status: 'found', event: { ...first, late: false } });
      expect((await store.append(canonicalEvent(), Date.now(), { dedup: { ...dedup, key: key() } })).status).toBe('accepted');
    });

    it("judges late on the key's own time, and keeps collapsing the resends of a late key", async () => {
      const store = await open({ DEDUP_WINDOW: '7d' });
      const dedup = { key: key(), timeMs: Date.now() - 8 * DAY };
      const event = canonicalEvent();
      expect(await store.append(event, Date.now(), { dedup })).toMatchObject({ status: 'accepted', late: true });
      expect(await store.lookup(event.uid)).toMatchObject({ status: 'found', event: { late: true } });
      expect(await store.append(canonicalEvent(), Date.now(), { dedup })).toEqual({ status: 'duplicate' });
    });

    it('accepts exactly one of 40 concurrent appends of one key under 40 uids', async () => {
      const store = await open({ PARTITIONS: '4' });
      const dedup = { key: key(), timeMs: Date.now() };
      const outcomes = await Promise.all(Array.from({ length: 40 }, () => store.append(canonicalEvent(), Date.now(), { dedup })));
      expect(outcomes.filter((o) => o.status === 'accepted')).toHaveLength(1);
      expect(await store.bufferLength()).toBe(1);
    });
  });

  describe('ring buffer bound', () => {
    it('drop-oldest keeps the newest BUFFER_CAPACITY entries, counts evictions, and still knows evicted uids', async () => {
      const store = await open({ BUFFER_CAPACITY: '3' });
      const events = [canonicalEvent(), canonicalEvent(), canonicalEvent(), canonicalEvent(), canonicalEvent()];
      const outcomes = [];
      for (const event of events) outcomes.push(await store.append(event, Date.now()));
      expect(outcomes.map((o) => (o.status === 'accepted' ? [o.evicted, o.lost.length] : o.status))).toEqual([
        [0, 0],
        [0, 0],
        [0, 0],
        [1, 0],
        [1, 0],
      ]);
      expect(uidsOf(await store.scan(null, 10))).toEqual(uidsOf(events.slice(2)));
      expect(await store.bufferLength()).toBe(3);
      expect(await store.lookup(events[0]!.uid)).toEqual({ status: 'evicted' });
      expect(await store.append(events[0]!, Date.now())).toEqual({ status: 'duplicate' });
    });

    it('reports as lost each evicted entry a group had not been handed (only entries since the group began)', async () => {
      const store = await open({ BUFFER_CAPACITY: '3' });
      const [before] = await fill(store, 1);
      await store.ensureGroup('audit', 'end');
      const [b] = await fill(store, 2);
      const d = canonicalEvent();
      expect(await store.append(d, Date.now())).toEqual({ status: 'accepted', late: false, evicted: 1, lost: [] });
      expect(await store.lookup(before!.uid)).toEqual({ status: 'evicted' });
      expect(await store.append(canonicalEvent(), Date.now())).toEqual({
        status: 'accepted',
        late: false,
        evicted: 1,
        lost: [{ destination: 'audit', uid: b!.uid }],
      });
    });

    it('counts as lost at eviction an entry never handed to a group; a handed-out one only when a claim finds it gone', async () => {
      const store = await open({ BUFFER_CAPACITY: '2' });
      await store.ensureGroup('audit', 'start');
      const [a, b] = await fill(store, 2);
      const handed = await store.readNew('audit', 'c1', 1, 0);
      expect(uidsOf(handed)).toEqual([a!.uid]);
      // c1 holds `a` and may still deliver it: not lost when evicted.
      expect(await store.append(canonicalEvent(), Date.now())).toMatchObject({ evicted: 1, lost: [] });
      expect(await store.append(canonicalEvent(), Date.now())).toMatchObject({ evicted: 1, lost: [{ destination: 'audit', uid: b!.uid }] });
      // c1 died: whoever claims `a` finds it gone, and it leaves the group's pending list.
      await sleep(60);
      expect(await store.claimStale('audit', 'c2', 50, 10)).toEqual({ entries: [], gone: 1 });
      expect(await store.groupState('audit')).toMatchObject({ pending: 0, lag: 2 });
    });

    it('does not count an evicted entry whose consumer delivers it from memory and acknowledges it', async () => {
      const store = await open({ BUFFER_CAPACITY: '1' });
      await store.ensureGroup('audit', 'start');
      await fill(store, 1);
      const [held] = await store.readNew('audit', 'c1', 1, 0);
      expect(await store.append(canonicalEvent(), Date.now())).toMatchObject({ evicted: 1, lost: [] });
      await store.ack('audit', [held!.id]);
      await sleep(60);
      expect(await store.claimStale('audit', 'c2', 50, 10)).toEqual({ entries: [], gone: 0 });
      expect(await store.groupState('audit')).toMatchObject({ pending: 0, lag: 1 });
    });

    it('lag counts only what is still buffered once the bound evicted entries a group never read', async () => {
      const store = await open({ BUFFER_CAPACITY: '3' });
      await store.ensureGroup('audit', 'start');
      await fill(store, 1);
      await store.ack(
        'audit',
        (await store.readNew('audit', 'c1', 10, 0)).map((e) => e.id),
      );
      await fill(store, 5);
      expect(await store.groupState('audit')).toMatchObject({ lag: 3, pending: 0 });
      await store.ack(
        'audit',
        (await store.readNew('audit', 'c1', 10, 0)).map((e) => e.id),
      );
      expect(await store.groupState('audit')).toMatchObject({ lag: 0, pending: 0 });
      await fill(store, 1);
      expect(await store.groupState('audit')).toMatchObject({ lag: 1 });
    });

    it('reject refuses while the oldest entry is owed to a group, stores nothing, and accepts once it is acknowledged', async () => {
      const store = await open({ BUFFER_CAPACITY: '3', BUFFER_OVERFLOW: 'reject' });
      await store.ensureGroup('audit', 'start');
      const [oldest] = await fill(store, 3);
      const refused = canonicalEvent();
      expect(await store.append(refused, Date.now())).toEqual({ status: 'full', oldestUid: oldest!.uid });
      expect(await store.lookup(refused.uid)).toEqual({ status: 'unknown' });
      expect(await store.bufferLength()).toBe(3);

      const [handed] = await store.readNew('audit', 'c1', 1, 0);
      expect(handed!.event.uid).toBe(oldest!.uid);
      // Handed out but not acknowledged: still owed.
      expect(await store.append(refused, Date.now())).toEqual({ status: 'full', oldestUid: oldest!.uid });
      await store.ack('audit', [handed!.id]);
      expect(await store.append(refused, Date.now())).toEqual({ status: 'accepted', late: false, evicted: 1, lost: [] });
      expect(await store.lookup(oldest!.uid)).toEqual({ status: 'evicted' });
    });

    /** Events whose stored JSON takes `bytes` bytes each (the store keeps the event JSON as given). */
    function sized(bytes: number, n: number): CanonicalEvent[] {
      return Array.from({ length: n }, () => {
        const event = canonicalEvent();
        const pad = bytes - Buffer.byteLength(JSON.stringify({ ...event, details: { username: 'alice', pad: '' } }));
        return { ...event, details: { username: 'alice', pad: 'é'.repeat(pad / 2) + 'x'.repeat(pad % 2) } };
      });
    }
    const sizeOf = (event: CanonicalEvent) => Buffer.byteLength(JSON.stringify(event));

    it('drop-oldest keeps the buffer within BUFFER_MAX_BYTES: the oldest go until the new event fits, reported lost', async () => {
      const store = await open({ BUFFER_MAX_BYTES: '2500', BODY_LIMIT: '1000' });
      await store.ensureGroup('audit', 'start');
      const [a, b, c] = sized(1000, 3);
      expect(sizeOf(a!)).toBe(1000);
      for (const event of [a!, b!]) expect(await store.append(event, Date.now())).toMatchObject({ status: 'accepted', evicted: 0 });
      expect(await store.bufferBytes()).toBe(2000);
      // 3000 bytes would exceed 2500: `a` goes, never handed to audit.
      expect(await store.append(c!, Date.now())).toEqual({
        status: 'accepted',
        late: false,
        evicted: 1,
        lost: [{ destination: 'audit', uid: a!.uid }],
      });
      expect(await store.bufferBytes()).toBe(2000);
      // A bigger event pushes out as many as it takes.
      const [big] = sized(2200, 1);
      expect(await store.append(big!, Date.now())).toMatchObject({ evicted: 2, lost: [{ uid: b!.uid }, { uid: c!.uid }] });
      expect(uidsOf(await store.scan(null, 10))).toEqual([big!.uid]);
      expect(await store.bufferBytes()).toBe(2200);
      // One larger than the whole bound is still stored, alone (the configuration keeps BODY_LIMIT within it).
      const [huge] = sized(3000, 1);
      expect(await store.append(huge!, Date.now())).toMatchObject({ status: 'accepted', evicted: 1 });
      expect(uidsOf(await store.scan(null, 10))).toEqual([huge!.uid]);
      expect(await store.bufferBytes()).toBe(3000);
      expect(await store.lookup(a!.uid)).toEqual({ status: 'evicted' });
    });

    it('reject refuses when the byte bound would push out an event a group still owes, and accepts once it is handled', async () => {
      const store = await open({ BUFFER_MAX_BYTES: '2500', BODY_LIMIT: '1000', BUFFER_OVERFLOW: 'reject' });
      await store.ensureGroup('audit', 'start');
      const [a, b, c] = sized(1000, 3);
      for (const event of [a!, b!]) expect((await store.append(event, Date.now())).status).toBe('accepted');
      expect(await store.append(c!, Date.now())).toEqual({ status: 'full', oldestUid: a!.uid });
      expect(await store.bufferBytes()).toBe(2000);
      const [handed] = await store.readNew('audit', 'c1', 1, 0);
      await store.ack('audit', [handed!.id]);
      expect(await store.append(c!, Date.now())).toEqual({ status: 'accepted', late: false, evicted: 1, lost: [] });
      expect(uidsOf(await store.scan(null, 10))).toEqual([b!.uid, c!.uid]);
    });

    it('reject with no consumer group just rotates the buffer', async () => {
      const store = await open({ BUFFER_CAPACITY: '2', BUFFER_OVERFLOW: 'reject' });
      const events = await fill(store, 2);
      expect(await store.append(canonicalEvent(), Date.now())).toMatchObject({ status: 'accepted', evicted: 1, lost: [] });
      expect(await store.lookup(events[0]!.uid)).toEqual({ status: 'evicted' });
    });
  });

  describe('quarantine and lookup', () => {
    it('quarantines an undecodable body without touching the ring buffer or dedup', async () => {
      const store = await open();
      const [event] = await fill(store, 1);
      await store.ensureGroup('audit', 'start');
      await expect(
        store.quarantine({
          node: 'kc-node-1',
          receivedAt: new Date().toISOString(),
          remoteAddress: '10.0.0.7',
          errorCode: 'KCR_ERR_EVENT_KIND',
          errorMessage: 'neither an Event nor an AdminEvent',
          body: Buffer.from([0x7b, 0x00, 0xff, 0x7d]),
        }),
      ).resolves.toBe(0);
      expect(uidsOf(await store.scan(null, 10))).toEqual([event!.uid]);
      expect(await store.groupState('audit')).toMatchObject({ lag: 1 });
    });

    it('lists quarantined bodies newest first, with their bytes intact', async () => {
      const store = await open({ BUFFER_CAPACITY: '2' });
      const record = (n: number) => ({
        node: `kc-node-${n}`,
        receivedAt: new Date(1_700_000_000_000 + n).toISOString(),
        remoteAddress: '10.0.0.7',
        errorCode: 'KCR_ERR_FLATBUFFER',
        errorMessage: `reason ${n}`,
        body: Buffer.from([0x7b, n, 0xe9, 0x00, 0xff, 0x7d]),
      });
      const dropped = [];
      for (const n of [1, 2, 3]) dropped.push(await store.quarantine(record(n)));
      // Bounded by BUFFER_CAPACITY bodies too: the oldest went, and the store said so.
      expect(dropped).toEqual([0, 0, 1]);
      const listed = await store.listQuarantine(10);
      expect(listed.map(({ id: _id, ...rest }) => rest)).toEqual([record(3), record(2)]);
      expect(await store.listQuarantine(1)).toHaveLength(1);
    });

    it('keeps the quarantine within QUARANTINE_MAX_BYTES of bodies: the oldest go, and the store says how many', async () => {
      const store = await open({ QUARANTINE_MAX_BYTES: '1000', BODY_LIMIT: '1000' });
      const record = (bytes: number) => ({
        node: 'kc-node-1',
        receivedAt: new Date().toISOString(),
        remoteAddress: '10.0.0.7',
        errorCode: 'KCR_ERR_FLATBUFFER',
        errorMessage: `${bytes} bytes`,
        body: Buffer.alloc(bytes, bytes % 251),
      });
      const sizes = async () => (await store.listQuarantine(10)).map((q) => q.body.length);
      expect(await store.quarantine(record(400))).toBe(0);
      expect(await store.quarantine(record(401))).toBe(0);
      expect(await store.quarantine(record(300))).toBe(1);
      expect(await sizes()).toEqual([300, 401]);
      expect(await store.quarantine(record(1000))).toBe(2);
      expect(await sizes()).toEqual([1000]);
      expect((await store.listQuarantine(1))[0]!.body).toEqual(record(1000).body);
    });

    it('tells found, evicted and unknown uids apart', async () => {
      const store = await open({ BUFFER_CAPACITY: '1' });
      const [gone, kept] = await fill(store, 2);
      expect(await store.lookup(kept!.uid)).toMatchObject({ status: 'found', event: { uid: kept!.uid } });
      expect(await store.lookup(gone!.uid)).toEqual({ status: 'evicted' });
      expect(await store.lookup(canonicalEvent().uid)).toEqual({ status: 'unknown' });
    });
  });

  describe('consumer groups', () => {
    it('refuses to read or claim for a group that does not exist, with KCR_ERR_NO_GROUP', async () => {
      const store = await open();
      await fill(store, 1);
      await expect(store.readNew('ghost', 'c1', 10, 0)).rejects.toMatchObject({ code: 'KCR_ERR_NO_GROUP' });
      await expect(store.claimStale('ghost', 'c1', 0, 10)).rejects.toMatchObject({ code: 'KCR_ERR_NO_GROUP' });
    });

    it('start sees everything buffered, end only later events; ensureGroup does not reset a group', async () => {
      const store = await open();
      const early = await fill(store, 2);
      await store.ensureGroup('from-start', 'start');
      await store.ensureGroup('from-end', 'end');
      const late = await fill(store, 1);
      const all = await store.readNew('from-start', 'c1', 10, 0);
      expect(uidsOf(all)).toEqual(uidsOf([...early, ...late]));
      expect(all.map((e) => e.deliveries)).toEqual([1, 1, 1]);
      expect(uidsOf(await store.readNew('from-end', 'c1', 10, 0))).toEqual(uidsOf(late));
      await store.ensureGroup('from-start', 'start');
      expect(await store.readNew('from-start', 'c1', 10, 0)).toEqual([]);
    });

    it('hands out entries oldest first, up to count, each once per group', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      const events = await fill(store, 5);
      const batches: StoredEntry[][] = [];
      for (let i = 0; i < 3; i++) batches.push(await store.readNew('audit', i === 1 ? 'c2' : 'c1', 2, 0));
      expect(batches.map(uidsOf)).toEqual([uidsOf(events.slice(0, 2)), uidsOf(events.slice(2, 4)), uidsOf(events.slice(4))]);
      expect(batches.flat().map((e) => e.event)).toEqual(events);
      expect(await store.readNew('audit', 'c1', 2, 50)).toEqual([]);
    });

    it('waits up to blockMs when there is nothing new, and returns as soon as an event is appended', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'end');
      let started = Date.now();
      expect(await store.readNew('audit', 'c1', 10, 300)).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);

      const event = canonicalEvent();
      started = Date.now();
      const reading = store.readNew('audit', 'c1', 10, 15_000);
      await sleep(200);
      await store.append(event, Date.now());
      expect(uidsOf(await reading)).toEqual([event.uid]);
      // Woken by the append, not by the end of the wait.
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('keeps handed-out entries pending until acknowledged', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      await fill(store, 3);
      const handed = await store.readNew('audit', 'c1', 10, 0);
      expect(await store.groupState('audit')).toMatchObject({ pending: 3, lag: 0 });
      await store.ack(
        'audit',
        handed.slice(0, 2).map((e) => e.id),
      );
      expect(await store.groupState('audit')).toMatchObject({ pending: 1 });
      // Acknowledging twice is harmless.
      await store.ack('audit', [handed[0]!.id]);
      expect(await store.groupState('audit')).toMatchObject({ pending: 1 });
    });

    it('lets another consumer claim entries pending longer than minIdleMs, oldest first, counting deliveries', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      const events = await fill(store, 3);
      await store.readNew('audit', 'c1', 10, 0);
      expect(await store.claimStale('audit', 'c2', 10_000, 10)).toEqual({ entries: [], gone: 0 });
      await sleep(250);
      const { entries: claimed } = await store.claimStale('audit', 'c2', 200, 2);
      expect(uidsOf(claimed)).toEqual(uidsOf(events.slice(0, 2)));
      expect(claimed.map((e) => e.deliveries)).toEqual([2, 2]);
      expect(claimed[0]!.event).toEqual(events[0]);
      // Claiming resets the idle time: only the third is still stale.
      const { entries: rest } = await store.claimStale('audit', 'c3', 200, 10);
      expect(uidsOf(rest)).toEqual([events[2]!.uid]);
      await sleep(250);
      expect((await store.claimStale('audit', 'c1', 200, 1)).entries.map((e) => e.deliveries)).toEqual([3]);
      await store.ack(
        'audit',
        [...claimed, ...rest].map((e) => e.id),
      );
      expect(await store.groupState('audit')).toMatchObject({ pending: 0 });
    });

    it("resumes a consumer's own pending entries page by page, skipping those it still works on", async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      await fill(store, 5);
      const handed = await store.readNew('audit', 'c1', 10, 0);
      const [e0, e1, e2, e3, e4] = handed.map((e) => e.id);
      const first = await store.resumePending('audit', 'c1', '0', 2, new Set([e0!]));
      expect(first.entries.map((e) => e.id)).toEqual([e1]);
      expect(first.entries[0]).toMatchObject({ deliveries: 2, body: handed[1]!.body });
      expect(first).toMatchObject({ gone: 0, cursor: e1 });
      const second = await store.resumePending('audit', 'c1', first.cursor!, 2, new Set());
      expect([second.entries.map((e) => e.id), second.cursor]).toEqual([[e2, e3], e3]);
      const last = await store.resumePending('audit', 'c1', second.cursor!, 2, new Set());
      expect([last.entries.map((e) => e.id), last.cursor]).toEqual([[e4], null]);
      expect(await store.resumePending('audit', 'c2', '0', 10, new Set())).toEqual({ entries: [], gone: 0, cursor: null });
      await expect(store.resumePending('ghost', 'c1', '0', 10, new Set())).rejects.toMatchObject({ code: 'KCR_ERR_NO_GROUP' });
    });

    it("touch keeps a slow consumer's entries from being claimed", async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      await fill(store, 2);
      const [slow, stuck] = await store.readNew('audit', 'c1', 10, 0);
      await sleep(250);
      await store.touch('audit', 'c1', [slow!.id]);
      expect(uidsOf((await store.claimStale('audit', 'c2', 200, 10)).entries)).toEqual([stuck!.event.uid]);
    });

    it("dead-letters atomically: the entry leaves pending and joins the group's dead letters", async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      const [a, b] = await fill(store, 2);
      const [ea, eb] = await store.readNew('audit', 'c1', 10, 0);
      const deadAt = Date.parse('2025-01-02T03:04:05.678Z');
      await store.deadLetter('audit', ea!, { attempts: 5, lastStatus: 500, lastError: 'HTTP 500' }, deadAt);
      await store.deadLetter('audit', eb!, { attempts: 3, lastStatus: null, lastError: 'timeout' }, deadAt + 1);
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 0, lag: 0, deadLetters: 2, partitionLag: [0] });
      await sleep(60);
      expect(await store.claimStale('audit', 'c2', 0, 10)).toEqual({ entries: [], gone: 0 });

      const dead = await store.listDeadLetters('audit', 10);
      expect(dead).toEqual([
        // The bytes first stored, not a new serialization: a redrive sends exactly them.
        {
          id: expect.any(String),
          event: a,
          body: ea!.body,
          attempts: 5,
          lastStatus: 500,
          lastError: 'HTTP 500',
          deadAt: '2025-01-02T03:04:05.678Z',
        },
        {
          id: expect.any(String),
          event: b,
          body: eb!.body,
          attempts: 3,
          lastStatus: null,
          lastError: 'timeout',
          deadAt: '2025-01-02T03:04:05.679Z',
        },
      ]);
      expect(uidsOf(await store.listDeadLetters('audit', 1))).toEqual([a!.uid]);
      // Paging: after the first letter's id comes the second, after the last nothing.
      expect(uidsOf(await store.listDeadLetters('audit', 10, dead[0]!.id))).toEqual([b!.uid]);
      expect(await store.listDeadLetters('audit', 10, dead[1]!.id)).toEqual([]);
      expect(await store.listDeadLetters('other', 10)).toEqual([]);

      await store.removeDeadLetters('audit', [dead[0]!.id]);
      expect(uidsOf(await store.listDeadLetters('audit', 10))).toEqual([b!.uid]);
      expect(await store.groupState('audit')).toMatchObject({ deadLetters: 1 });
    });

    it('keeps at most BUFFER_CAPACITY dead letters per group: the oldest make room, and the store says how many', async () => {
      const store = await open({ BUFFER_CAPACITY: '3' });
      await store.ensureGroup('audit', 'start');
      await store.ensureGroup('other', 'start');
      const deadLetterNext = async (group: string): Promise<number> => {
        const [entry] = await store.readNew(group, 'c1', 1, 0);
        return store.deadLetter(group, entry!, { attempts: 1, lastStatus: 400, lastError: 'HTTP 400' }, Date.now());
      };
      const events = await fill(store, 3);
      expect([await deadLetterNext('audit'), await deadLetterNext('audit'), await deadLetterNext('audit')]).toEqual([0, 0, 0]);
      events.push(...(await fill(store, 1)));
      expect(await deadLetterNext('audit')).toBe(1);
      expect(uidsOf(await store.listDeadLetters('audit', 10))).toEqual(uidsOf(events.slice(1, 4)));
      expect(await store.groupState('audit')).toMatchObject({ deadLetters: 3 });
      // Another group's letters are bounded apart.
      expect(await deadLetterNext('other')).toBe(0);
      expect(await store.groupState('other')).toMatchObject({ deadLetters: 1 });

      // A redriven letter frees its place.
      await store.removeDeadLetters('audit', [(await store.listDeadLetters('audit', 1))[0]!.id]);
      expect(await store.groupState('audit')).toMatchObject({ deadLetters: 2 });
      events.push(...(await fill(store, 1)));
      expect(await deadLetterNext('audit')).toBe(0);
      expect(uidsOf(await store.listDeadLetters('audit', 10))).toEqual(uidsOf(events.slice(2, 5)));
      expect(await deadLetterNext('other')).toBe(0);
      expect(await store.groupState('audit')).toMatchObject({ deadLetters: 3 });
    });

    it("keeps a dead letter's bytes as given, not a new serialization of its event", async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      await fill(store, 1);
      const [entry] = await store.readNew('audit', 'c1', 1, 0);
      // As bytes written by another version of the relay could be: same event, other spelling.
      const body = JSON.stringify(entry!.event, null, 1);
      await store.deadLetter('audit', { ...entry!, body }, { attempts: 1, lastStatus: 500, lastError: 'HTTP 500' }, Date.now());
      const [letter] = await store.listDeadLetters('audit', 1);
      expect(letter!.body).toBe(body);
      expect(letter!.event).toEqual(entry!.event);
    });

    it('scan walks the buffer oldest first from any position, without delivering anything', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      const events = await fill(store, 5);
      const first = await store.scan(null, 2);
      expect(uidsOf(first)).toEqual(uidsOf(events.slice(0, 2)));
      expect(first.map((e) => e.deliveries)).toEqual([0, 0]);
      const rest = await store.scan(first[1]!.id, 10);
      expect(rest.map((e) => e.event)).toEqual(events.slice(2));
      expect(await store.scan(rest[2]!.id, 10)).toEqual([]);
      expect(await store.groupState('audit')).toMatchObject({ pending: 0, lag: 5 });
    });

    it('reports pending, lag and dead letters per group (a group not created yet lags by the whole buffer)', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 0, lag: 0, deadLetters: 0, partitionLag: [0] });
      await fill(store, 4);
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 0, lag: 4, deadLetters: 0, partitionLag: [4] });
      const handed = await store.readNew('audit', 'c1', 3, 0);
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 3, lag: 1, deadLetters: 0, partitionLag: [1] });
      await store.ack('audit', [handed[0]!.id, handed[1]!.id]);
      await store.deadLetter('audit', handed[2]!, { attempts: 1, lastStatus: 410, lastError: 'HTTP 410' }, Date.now());
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 0, lag: 1, deadLetters: 1, partitionLag: [1] });
      expect(await store.groupState('never-created')).toEqual({
        group: 'never-created',
        pending: 0,
        lag: 4,
        deadLetters: 0,
        partitionLag: [4],
      });
    });

    it('keeps two groups independent', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start');
      await store.ensureGroup('logout', 'start');
      const events = await fill(store, 3);
      const audit = await store.readNew('audit', 'c1', 10, 0);
      await store.ack(
        'audit',
        audit.map((e) => e.id),
      );
      const logout = await store.readNew('logout', 'c1', 10, 0);
      expect(logout.map((e) => [e.event, e.deliveries])).toEqual(events.map((e) => [e, 1]));
      await store.deadLetter('logout', logout[0]!, { attempts: 2, lastStatus: 502, lastError: 'HTTP 502' }, Date.now());
      expect(await store.groupState('audit')).toEqual({ group: 'audit', pending: 0, lag: 0, deadLetters: 0, partitionLag: [0] });
      expect(await store.groupState('logout')).toEqual({ group: 'logout', pending: 2, lag: 0, deadLetters: 1, partitionLag: [0] });
      expect(await store.listDeadLetters('audit', 10)).toEqual([]);
    });
  });

  describe('the logout group: handed only the events that may end sessions', () => {
    it('hands it those tagged or untagged, never pending the others, while a destination is handed them all', async () => {
      const store = await open();
      await store.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
      await store.ensureGroup('audit', 'start');
      const [login, logout, untagged, refresh] = await appendTagged(store, [false, true, undefined, false]);
      expect(uidsOf(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0))).toEqual([logout!.uid, untagged!.uid]);
      expect(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0)).toEqual([]);
      expect(await store.groupState(LOGOUT_GROUP)).toMatchObject({ pending: 2, lag: 0 });
      expect(uidsOf(await store.readNew('audit', 'c1', 10, 0))).toEqual([login!.uid, logout!.uid, untagged!.uid, refresh!.uid]);
      // The entries it was not handed are counted where its state is; a group without a filter has no such count.
      expect(await store.groupState(LOGOUT_GROUP)).toMatchObject({ skipped: 2 });
      expect(await store.groupState('audit')).not.toHaveProperty('skipped');
    });

    it('a group created again without the filter is handed every entry from then on', async () => {
      const store = await open();
      await store.ensureGroup('audit', 'start', LOGOUT_GROUP_OPTIONS);
      const [, logout] = await appendTagged(store, [false, true]);
      expect(uidsOf(await store.readNew('audit', 'c1', 10, 0))).toEqual([logout!.uid]);
      await store.ensureGroup('audit', 'start');
      const [refresh] = await appendTagged(store, [false]);
      expect(uidsOf(await store.readNew('audit', 'c1', 10, 0))).toEqual([refresh!.uid]);
    });

    it('returns to its reader once only events that end nothing came, and hands the next one that ends sessions', async () => {
      const store = await open();
      await store.ensureGroup(LOGOUT_GROUP, 'end', LOGOUT_GROUP_OPTIONS);
      const started = Date.now();
      const reading = (async () => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const entries = await store.readNew(LOGOUT_GROUP, 'c1', 10, 15_000);
          if (entries.length > 0) return entries;
        }
        return [];
      })();
      await sleep(100);
      await appendTagged(store, [false, false]);
      await sleep(100);
      const [logout] = await appendTagged(store, [true]);
      expect(uidsOf(await reading)).toEqual([logout!.uid]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('the bound counts as lost to it only an evicted event that may end sessions, and holds nothing for it under reject', async () => {
      const dropping = await open({ BUFFER_CAPACITY: '2' });
      await dropping.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
      const [, logout] = await appendTagged(dropping, [false, true]);
      expect(await dropping.append(canonicalEvent(), Date.now(), tagged(false))).toMatchObject({ evicted: 1, lost: [] });
      expect(await dropping.append(canonicalEvent(), Date.now(), tagged(false))).toMatchObject({
        evicted: 1,
        lost: [{ destination: LOGOUT_GROUP, uid: logout!.uid }],
      });

      const rejecting = await open({ BUFFER_CAPACITY: '2', BUFFER_OVERFLOW: 'reject' });
      await rejecting.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
      await appendTagged(rejecting, [false, false]);
      expect(await rejecting.append(canonicalEvent(), Date.now(), tagged(true))).toMatchObject({
        status: 'accepted',
        evicted: 1,
      });
      expect(await rejecting.append(canonicalEvent(), Date.now(), tagged(false))).toMatchObject({
        status: 'accepted',
        evicted: 1,
      });
      expect((await rejecting.append(canonicalEvent(), Date.now(), tagged(false))).status).toBe('full');
    });
  });

  describe('replay and redrive jobs: held under a lease, taken over when it lapses', () => {
    const job = (id: string, step: number) => ({ id, data: JSON.stringify({ id, step }) });

    it('records a job held by its creator, readable by anyone, saved only while held', async () => {
      const store = await open();
      const now = Date.now();
      await store.createJob(job('j1', 0), 'replica-a', now + 10_000);
      expect(await store.getJob('j1')).toBe(job('j1', 0).data);
      expect(await store.saveJob(job('j1', 1), 'replica-a', true, now + 10_000, now)).toBe(true);
      expect(await store.saveJob(job('j1', 2), 'replica-b', true, now + 10_000, now)).toBe(false);
      expect(await store.getJob('j1')).toBe(job('j1', 1).data);
      expect(await store.getJob('nope')).toBeNull();
    });

    it('hands a job whose lease lapsed to another replica, which then holds it alone', async () => {
      const store = await open();
      const now = Date.now();
      await store.createJob(job('j1', 0), 'replica-a', now + 1_000);
      expect(await store.claimJob('replica-b', now, now + 10_000, [])).toBeNull();
      expect(await store.claimJob('replica-b', now + 1_001, now + 10_000, [])).toEqual(job('j1', 0));
      // The first holder, back from a long pause, has lost it: it must stop.
      expect(await store.saveJob(job('j1', 5), 'replica-a', true, now + 20_000, now + 1_002)).toBe(false);
      expect(await store.saveJob(job('j1', 1), 'replica-b', true, now + 20_000, now + 1_002)).toBe(true);
      expect(await store.claimJob('replica-c', now + 1_003, now + 10_000, [])).toBeNull();
      // Letting it go (lease 0) hands it on at once.
      expect(await store.saveJob(job('j1', 2), 'replica-b', true, 0, now + 1_004)).toBe(true);
      expect(await store.claimJob('replica-c', now + 1_005, now + 10_000, [])).toEqual(job('j1', 2));
    });

    it('gives a replica restarted under its name its own jobs back at once, but never one it runs now', async () => {
      const store = await open();
      const now = Date.now();
      await store.createJob(job('j1', 0), 'replica-a', now + 60_000);
      expect(await store.claimJob('replica-a', now, now + 60_000, ['j1'])).toBeNull();
      expect(await store.claimJob('replica-b', now, now + 60_000, [])).toBeNull();
      expect(await store.claimJob('replica-a', now, now + 60_000, [])).toEqual(job('j1', 0));
    });

    it('keeps finished jobs readable, the newest KEEP_FINISHED_JOBS of them, and never hands them out', async () => {
      const store = await open();
      const now = Date.now();
      const ids = Array.from({ length: KEEP_FINISHED_JOBS + 1 }, (_, i) => `j${i}`);
      for (const [i, id] of ids.entries()) {
        await store.createJob(job(id, 0), 'replica-a', now + 1_000);
        expect(await store.saveJob(job(id, 9), 'replica-a', false, 0, now + i)).toBe(true);
      }
      expect(await store.getJob(ids[0]!)).toBeNull();
      expect(await store.getJob(ids[1]!)).toBe(job(ids[1]!, 9).data);
      expect(await store.getJob(ids.at(-1)!)).toBe(job(ids.at(-1)!, 9).data);
      expect(await store.claimJob('replica-b', now + 5_000, now + 60_000, [])).toBeNull();
    });
  });

  describe('catch-up sources: one replica polls each under a lease, its checkpoints kept', () => {
    it('leases a source to the first replica that asks, renews it for that one only, and shows everyone who holds it', async () => {
      const store = await open();
      const now = Date.now();
      expect(await store.leaseSource('acme', 'replica-a', now, now + 5_000)).toEqual({
        owner: 'replica-a',
        leaseUntil: now + 5_000,
        parts: {},
      });
      expect(await store.leaseSource('acme', 'replica-b', now + 1, now + 6_000)).toEqual({
        owner: 'replica-a',
        leaseUntil: now + 5_000,
        parts: {},
      });
      expect(await store.leaseSource('acme', 'replica-a', now + 2, now + 7_000)).toMatchObject({
        owner: 'replica-a',
        leaseUntil: now + 7_000,
      });
      // Sources are apart from each other.
      expect(await store.leaseSource('other', 'replica-b', now, now + 5_000)).toMatchObject({ owner: 'replica-b' });
    });

    it('saves each part while held, keeps the others, and hands the parts to whoever holds it next', async () => {
      const store = await open();
      const now = Date.now();
      await store.leaseSource('acme', 'replica-a', now, now + 1_000);
      expect(await store.saveSource('acme', 'replica-a', now + 1_000, { events: 'e1', 'admin-events': 'a1' })).toBe(true);
      expect(await store.saveSource('acme', 'replica-a', now + 1_000, { events: 'e2' })).toBe(true);
      expect(await store.saveSource('acme', 'replica-b', now + 9_000, { events: 'stale' })).toBe(false);
      expect(await store.leaseSource('acme', 'replica-b', now + 500, now + 9_000)).toEqual({
        owner: 'replica-a',
        leaseUntil: now + 1_000,
        parts: { events: 'e2', 'admin-events': 'a1' },
      });
      // Lapsed: the next replica takes it over with its checkpoints; the first one, back from a pause, may not save.
      expect(await store.leaseSource('acme', 'replica-b', now + 1_001, now + 9_000)).toEqual({
        owner: 'replica-b',
        leaseUntil: now + 9_000,
        parts: { events: 'e2', 'admin-events': 'a1' },
      });
      expect(await store.saveSource('acme', 'replica-a', now + 2_000, { events: 'e3' })).toBe(false);
      expect(await store.saveSource('acme', 'replica-b', now + 9_000, { events: 'e3' })).toBe(true);
    });

    it('hands a source let go (lease 0) to another replica at once, and a restarted replica its own at once', async () => {
      const store = await open();
      const now = Date.now();
      await store.leaseSource('acme', 'replica-a', now, now + 60_000);
      expect(await store.saveSource('acme', 'replica-a', 0, {})).toBe(true);
      expect(await store.leaseSource('acme', 'replica-b', now + 1, now + 60_000)).toMatchObject({ owner: 'replica-b' });
      // replica-b restarted under its name before its lease lapsed: its own again, not another's.
      expect(await store.leaseSource('acme', 'replica-c', now + 2, now + 60_000)).toMatchObject({ owner: 'replica-b' });
      expect(await store.leaseSource('acme', 'replica-b', now + 3, now + 70_000)).toMatchObject({
        owner: 'replica-b',
        leaseUntil: now + 70_000,
      });
    });

    it('gives a lease to one replica when several ask at once', async () => {
      const store = await open();
      const now = Date.now();
      const asked = await Promise.all(['a', 'b', 'c', 'd'].map((r) => store.leaseSource('acme', `replica-${r}`, now, now + 5_000)));
      expect(new Set(asked.map((record) => record.owner)).size).toBe(1);
    });
  });

  describe('status and close', () => {
    it('reports which store it is and that it is reachable', async () => {
      const store = await open();
      expect(await store.status()).toMatchObject({ store: backend.store, reachable: true });
    });

    it('fails every operation with KCR_ERR_STORE_UNAVAILABLE once closed, never pretending to store', async () => {
      const store = await open();
      await store.close();
      await expect(store.append(canonicalEvent(), Date.now())).rejects.toMatchObject({ code: 'KCR_ERR_STORE_UNAVAILABLE' });
      await expect(store.lookup(canonicalEvent().uid)).rejects.toMatchObject({ code: 'KCR_ERR_STORE_UNAVAILABLE' });
    });
  });
});
