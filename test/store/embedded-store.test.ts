// What only the embedded store has: its files in DATA_DIR, its lock, its purge of expired uids.
// Everything the interface promises is in contract.test.ts, run against both stores.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedEventStore } from '../../src/store/embedded/embedded-store.js';
import { DATABASE_FILE } from '../../src/backend/sqlite/open-database.js';
import { ENDS_SESSIONS, LOGOUT_GROUP, LOGOUT_GROUP_OPTIONS, logoutTagging } from '../../src/logout/group.js';
import { type BufferPolicy } from '../../src/store/event-store.js';
import { canonicalEvent } from '../support/canonical.js';

const HOUR = 3_600_000;
const policy: BufferPolicy = {
  capacity: 100,
  maxBytes: 1 << 20,
  overflow: 'drop-oldest',
  dedupWindowMs: 7 * 24 * HOUR,
  quarantineMaxBytes: 1 << 20,
};

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kcr-embedded-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function open(dir: string, overrides: Partial<BufferPolicy> = {}): EmbeddedEventStore {
  const store = EmbeddedEventStore.open(dir, { ...policy, ...overrides });
  cleanup.push(() => store.close());
  return store;
}

/**
 * Takes a database of this release back to schema version 4 (relays before tags): one tag column,
 * `ends_sessions`, read by the logout group through a partial index; no filters of groups. The
 * tests of older versions start from there.
 */
const AS_VERSION_4 = `ALTER TABLE events DROP COLUMN tags; ALTER TABLE consumer_groups DROP COLUMN only_tag;
  ALTER TABLE events ADD COLUMN ends_sessions INTEGER;
  CREATE INDEX events_ending_sessions ON events (id) WHERE ends_sessions IS NOT 0; PRAGMA user_version = 4;`;

/** Reads the store's tables directly; the store must be closed (it holds the database exclusively). */
function inspect<T>(dir: string, sql: string): T[] {
  const db = new DatabaseSync(join(dir, DATABASE_FILE), { readOnly: true });
  try {
    return db.prepare(sql).all() as unknown as T[];
  } finally {
    db.close();
  }
}

describe('embedded store files', () => {
  it('creates DATA_DIR and keeps everything across a close and reopen', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const first = open(dir);
    const events = [canonicalEvent(), canonicalEvent(), canonicalEvent()];
    for (const event of events) await first.append(event, Date.now());
    await first.ensureGroup('audit', 'start');
    const [handed, dead] = await first.readNew('audit', 'c1', 2, 0);
    await first.deadLetter('audit', dead!, { attempts: 4, lastStatus: 503, lastError: 'HTTP 503' }, Date.now());
    await first.close();

    const again = open(dir);
    expect(await again.append(events[0]!, Date.now())).toEqual({ status: 'duplicate' });
    expect(await again.lookup(events[2]!.uid)).toMatchObject({ status: 'found', event: events[2] });
    expect(await again.groupState('audit')).toEqual({ group: 'audit', pending: 1, lag: 1, deadLetters: 1, partitionLag: [1] });
    const [claimed] = (await again.claimStale('audit', 'c2', 0, 10)).entries;
    expect(claimed).toMatchObject({ id: handed!.id, deliveries: 2 });
  });

  it('counts the dead letters of a database written before they were counted, and bounds them from there', async () => {
    const dir = tempDir();
    const first = open(dir);
    await first.append(canonicalEvent(), Date.now());
    await first.append(canonicalEvent(), Date.now());
    await first.ensureGroup('audit', 'start');
    for (const entry of await first.readNew('audit', 'c1', 2, 0)) {
      await first.deadLetter('audit', entry, { attempts: 1, lastStatus: 400, lastError: 'HTTP 400' }, Date.now());
    }
    await first.close();
    // As an earlier relay left it: the letters, no count of them.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.prepare("DELETE FROM stats WHERE name LIKE 'deadLetters:%'").run();
    db.close();

    const again = open(dir, { capacity: 2 });
    expect(await again.groupState('audit')).toMatchObject({ deadLetters: 2 });
    await again.append(canonicalEvent(), Date.now());
    const [next] = await again.readNew('audit', 'c1', 1, 0);
    expect(await again.deadLetter('audit', next!, { attempts: 1, lastStatus: 400, lastError: 'HTTP 400' }, Date.now())).toBe(1);
    expect(await again.groupState('audit')).toMatchObject({ deadLetters: 2 });
    await again.close();
    expect(inspect<{ n: number }>(dir, "SELECT count(*) AS n FROM dead_letters WHERE grp = 'audit'")).toEqual([{ n: 2 }]);
  });

  it('upgrades a database of schema version 1 in place: its events, untagged, are all handed to the logout group', async () => {
    const dir = tempDir();
    const first = open(dir);
    const events = [canonicalEvent(), canonicalEvent()];
    for (const event of events) await first.append(event, Date.now(), { tags: { [ENDS_SESSIONS]: false } });
    await first.close();
    // As a relay of schema version 1 left it: no tag column.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec(
      AS_VERSION_4 +
        'DROP INDEX events_ending_sessions; ALTER TABLE events DROP COLUMN ends_sessions; DROP TABLE jobs; DROP TABLE sources; DROP TABLE source_parts; PRAGMA user_version = 1',
    );
    db.close();

    const again = open(dir);
    const later = canonicalEvent();
    await again.append(later, Date.now(), { tags: { [ENDS_SESSIONS]: false } });
    await again.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
    expect((await again.readNew(LOGOUT_GROUP, 'c1', 10, 0)).map((e) => e.uid)).toEqual(events.map((e) => e.uid));
    expect(await again.readNew(LOGOUT_GROUP, 'c1', 10, 0)).toEqual([]);
    await again.close();
    expect(inspect<{ v: number }>(dir, 'SELECT user_version AS v FROM pragma_user_version')).toEqual([{ v: 5 }]);
  });

  it('upgrades a DATA_DIR of schema version 2 (the release before byte bounds): its events and bodies count against them', async () => {
    const dir = tempDir();
    const first = open(dir);
    const events = [canonicalEvent(), canonicalEvent(), canonicalEvent()];
    for (const event of events) await first.append(event, Date.now());
    const body = (n: number) => ({
      node: 'kc-1',
      receivedAt: new Date().toISOString(),
      remoteAddress: '127.0.0.1',
      errorCode: 'KCR_ERR_FLATBUFFER',
      errorMessage: 'x',
      body: Buffer.alloc(n, n),
    });
    for (const n of [300, 400]) await first.quarantine(body(n));
    const eventBytes = (await first.scan(null, 10)).map((e) => Buffer.byteLength(e.body));
    await first.close();
    // As a relay of schema version 2 left it: no byte counters, no jobs table.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec(
      AS_VERSION_4 +
        "DELETE FROM stats WHERE name IN ('bytes', 'quarantineBytes'); DROP TABLE jobs; DROP TABLE sources; DROP TABLE source_parts; PRAGMA user_version = 2",
    );
    db.close();

    const total = eventBytes.reduce((a, b) => a + b, 0);
    // Room for the three stored events and not one more: the next append pushes out the oldest.
    const again = open(dir, { maxBytes: total + 10, quarantineMaxBytes: 800 });
    expect(await again.bufferBytes()).toBe(total);
    const next = canonicalEvent();
    expect(await again.append(next, Date.now())).toMatchObject({ status: 'accepted', evicted: 1 });
    expect((await again.scan(null, 10)).map((e) => e.uid)).toEqual([events[1]!.uid, events[2]!.uid, next.uid]);
    // 300 + 400 stored, 200 more exceeds 800: the oldest body goes.
    expect(await again.quarantine(body(200))).toBe(1);
    expect((await again.listQuarantine(10)).map((q) => q.body.length)).toEqual([200, 400]);
    await again.close();
    expect(inspect<{ v: number }>(dir, 'SELECT user_version AS v FROM pragma_user_version')).toEqual([{ v: 5 }]);
  });

  it('upgrades a DATA_DIR of a relay before tags (schema version 4): its column becomes the logout tag, its logout group keeps its filter', async () => {
    const dir = tempDir();
    await open(dir).close();
    const [login, logout, untagged] = [
      canonicalEvent(Date.now(), { type: 'LOGIN' }),
      canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's1' }),
      canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's2' }),
    ];
    // What a relay before tags wrote: events with ends_sessions 0, 1 or NULL (stored before version 2), and
    // the logout group, whose filter lived in its code, not in the database.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec(AS_VERSION_4);
    const insert = db.prepare('INSERT INTO events (uid, event, ends_sessions) VALUES (?, ?, ?)');
    for (const [event, endsSessions] of [
      [login, 0],
      [logout, 1],
      [untagged, null],
    ] as const) {
      insert.run(event.uid, JSON.stringify(event), endsSessions);
    }
    db.exec(`INSERT INTO consumer_groups (name, last_delivered) VALUES ('@logout', 0), ('audit', 0);
      INSERT OR REPLACE INTO stats (name, value) SELECT 'bytes', sum(octet_length(event)) FROM events`);
    db.close();

    const again = EmbeddedEventStore.open(dir, policy, 'full', logoutTagging({ credentialChange: 'forward' }));
    cleanup.push(() => again.close());
    const uids = (entries: Array<{ uid: string }>) => entries.map((e) => e.uid);
    // Read before the publisher creates its group again: the filter came with the data.
    expect(uids(await again.readNew(LOGOUT_GROUP, 'c1', 10, 0))).toEqual([logout.uid, untagged.uid]);
    expect(uids(await again.readNew('audit', 'c1', 10, 0))).toEqual([login.uid, logout.uid, untagged.uid]);
    expect(await again.groupState(LOGOUT_GROUP)).toMatchObject({ pending: 2, lag: 0, skipped: 1 });
    // Later events are tagged by the relay's function, and the group created again keeps its filter.
    await again.ensureGroup(LOGOUT_GROUP, 'start', LOGOUT_GROUP_OPTIONS);
    const [refresh, later] = [
      canonicalEvent(Date.now(), { type: 'REFRESH_TOKEN' }),
      canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's3' }),
    ];
    for (const event of [refresh, later]) expect(await again.append(event, Date.now())).toMatchObject({ status: 'accepted' });
    expect(uids(await again.readNew(LOGOUT_GROUP, 'c1', 10, 0))).toEqual([later.uid]);
    expect(await again.bufferLength()).toBe(5);
    await again.close();
    expect(inspect<{ tags: string | null }>(dir, 'SELECT tags FROM events ORDER BY id')).toEqual(
      [',logout=0,', ',logout=1,', null, ',logout=0,', ',logout=1,'].map((tags) => ({ tags })),
    );
    expect(inspect<{ v: number }>(dir, 'SELECT user_version AS v FROM pragma_user_version')).toEqual([{ v: 5 }]);
  });

  it('upgrades a DATA_DIR of schema version 3 (the release before catch-up sources): its events and jobs stay, sources can be leased', async () => {
    const dir = tempDir();
    const first = open(dir);
    const event = canonicalEvent();
    await first.append(event, Date.now());
    await first.createJob({ id: 'j1', data: '{}' }, 'replica-a', Date.now() + 60_000);
    await first.close();
    // As a relay of schema version 3 left it: no sources tables.
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec(AS_VERSION_4 + 'DROP TABLE sources; DROP TABLE source_parts; PRAGMA user_version = 3');
    db.close();

    const again = open(dir);
    expect(await again.lookup(event.uid)).toMatchObject({ status: 'found' });
    expect(await again.getJob('j1')).toBe('{}');
    const now = Date.now();
    expect(await again.leaseSource('acme', 'replica-a', now, now + 1_000)).toMatchObject({ owner: 'replica-a' });
    expect(await again.saveSource('acme', 'replica-a', now + 1_000, { events: 'e1' })).toBe(true);
    await again.close();
    expect(inspect<{ v: number }>(dir, 'SELECT user_version AS v FROM pragma_user_version')).toEqual([{ v: 5 }]);
    expect(inspect<{ part: string }>(dir, 'SELECT part FROM source_parts')).toEqual([{ part: 'events' }]);
  });

  it('refuses a second store on the same DATA_DIR in this process too, and frees it on close', async () => {
    const dir = tempDir();
    const first = open(dir);
    expect(() => EmbeddedEventStore.open(dir, policy)).toThrow(expect.objectContaining({ code: 'KCR_ERR_CONFIG' }));
    expect(() => EmbeddedEventStore.open(dir, policy)).toThrow(
      `DATA_DIR: ${dir} is in use by another kc-event-relay process (pid ${process.pid}`,
    );
    await first.close();
    const second = open(dir);
    expect((await second.status()).reachable).toBe(true);
  });

  it('a failing write of a group commit takes none of the others down', async () => {
    const dir = tempDir();
    const store = open(dir);
    const [a, b] = [canonicalEvent(), canonicalEvent()];
    const [first, failed, second] = await Promise.allSettled([
      store.append(a, Date.now()),
      store.readNew('no-such-group', 'c1', 10, 0),
      store.append(b, Date.now()),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { status: 'accepted' } });
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('no-such-group') } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { status: 'accepted' } });
    await store.close();
    expect(await open(dir).bufferLength()).toBe(2);
  });

  it('names DATA_DIR when it cannot be created or its database cannot be opened', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    expect(() => EmbeddedEventStore.open(join(dir, 'a-file'), policy)).toThrow(`DATA_DIR: cannot create ${join(dir, 'a-file')}`);
    mkdirSync(join(dir, DATABASE_FILE));
    expect(() => EmbeddedEventStore.open(dir, policy)).toThrow(`DATA_DIR: cannot use ${join(dir, DATABASE_FILE)}`);
  });

  it('refuses a database written by a newer relay instead of misreading it', () => {
    const dir = tempDir();
    const db = new DatabaseSync(join(dir, DATABASE_FILE));
    db.exec('PRAGMA user_version = 99');
    db.close();
    expect(() => EmbeddedEventStore.open(dir, policy)).toThrow(/DATA_DIR: .* holds schema version 99/);
  });

  it('bounds the quarantine at BUFFER_CAPACITY, keeping the newest bodies byte for byte', async () => {
    const dir = tempDir();
    const store = open(dir, { capacity: 3 });
    for (let i = 0; i < 5; i++) {
      await store.quarantine({
        node: 'kc-node-1',
        receivedAt: new Date().toISOString(),
        remoteAddress: '10.0.0.7',
        errorCode: 'KCR_ERR_FLATBUFFER',
        errorMessage: `bad ${i}`,
        body: Buffer.from([i, 0x00, 0xff]),
      });
    }
    await store.close();
    const rows = inspect<{ error_message: string; body: Uint8Array }>(dir, 'SELECT error_message, body FROM quarantine ORDER BY id');
    expect(rows.map((r) => r.error_message)).toEqual(['bad 2', 'bad 3', 'bad 4']);
    expect(Buffer.from(rows[2]!.body)).toEqual(Buffer.from([4, 0x00, 0xff]));
  });

  it('purges the uids of expired hours on a later append, never a uid still inside its window', async () => {
    const dir = tempDir();
    const store = open(dir, { dedupWindowMs: HOUR });
    const now = Date.now();
    const old = canonicalEvent(now - 3 * HOUR);
    await store.append(old, now - 3 * HOUR + 60_000);
    const fresh = canonicalEvent(now);
    await store.append(fresh, now);
    expect(await store.append(fresh, now)).toEqual({ status: 'duplicate' });
    await store.close();

    expect(inspect<{ uid: string }>(dir, 'SELECT uid FROM seen').map((r) => r.uid)).toEqual([fresh.uid]);
    expect(inspect<{ n: number }>(dir, `SELECT count(*) AS n FROM seen_buckets WHERE expire_at <= ${now}`)).toEqual([{ n: 0 }]);
    // The event itself stays in the ring buffer: only its dedup memory is gone.
    expect(inspect<{ uid: string }>(dir, 'SELECT uid FROM events ORDER BY id').map((r) => r.uid)).toEqual([old.uid, fresh.uid]);
  });
});
