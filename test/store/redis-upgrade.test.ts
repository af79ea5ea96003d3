// A Redis written by a relay before tags keeps working: its entries named their one tag as a field
// (`logout`: 1, 0, or absent on entries older still), as the tags of this release do, and its
// logout group filtered by it in code. The fixture below is what it wrote, key for key.
import { expect, it } from 'vitest';
import { LOGOUT_GROUP, logoutTagging } from '../../src/logout/group.js';
import { layoutKey, partitionKeys, partitionOf } from '../../src/store/redis/keys.js';
import { canonicalEvent } from '../support/canonical.js';
import { redisStores } from '../support/redis-stores.js';
import { uniquePrefix } from '../support/relay.js';

const { redis, open } = redisStores();

const uids = (entries: Array<{ uid: string }>) => entries.map((e) => e.uid);

it('reads the entries and groups of a relay before tags: the logout group is still handed only what may end sessions', async () => {
  const prefix = uniquePrefix();
  const partitions = 2;
  const [login, logout, untagged] = [
    canonicalEvent(Date.now(), { type: 'LOGIN' }),
    canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's1' }),
    canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's2' }),
  ];
  await redis.set(layoutKey(prefix), String(partitions));
  for (let p = 0; p < partitions; p++) {
    for (const group of [LOGOUT_GROUP, 'audit']) await redis.xgroup('CREATE', partitionKeys(prefix, p).events, group, '0', 'MKSTREAM');
  }
  for (const [event, tag] of [
    [login, '0'],
    [logout, '1'],
    [untagged, null],
  ] as const) {
    const stream = partitionKeys(prefix, partitionOf(event.uid, partitions)).events;
    const fields = ['uid', event.uid, 'event', JSON.stringify(event), ...(tag === null ? [] : ['logout', tag])];
    await redis.xadd(stream, '*', ...fields);
  }

  const store = await open(prefix, { PARTITIONS: String(partitions) }, logoutTagging({ credentialChange: 'forward' }));
  // Read before the publisher creates its group again: the filter was recorded at start.
  const handed = [...(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0)), ...(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0))];
  expect(uids(handed).sort()).toEqual([logout.uid, untagged.uid].sort());
  const audit = [...(await store.readNew('audit', 'c1', 10, 0)), ...(await store.readNew('audit', 'c1', 10, 0))];
  expect(uids(audit).sort()).toEqual([login.uid, logout.uid, untagged.uid].sort());
  expect(await store.groupState(LOGOUT_GROUP)).toMatchObject({ pending: 2, lag: 0, skipped: 1 });

  // New entries, tagged by the relay's function, are read by the same rule.
  const [refresh, later] = [
    canonicalEvent(Date.now(), { type: 'REFRESH_TOKEN' }),
    canonicalEvent(Date.now(), { type: 'LOGOUT', sessionId: 's3' }),
  ];
  for (const event of [refresh, later]) expect(await store.append(event, Date.now())).toMatchObject({ status: 'accepted' });
  const next = [...(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0)), ...(await store.readNew(LOGOUT_GROUP, 'c1', 10, 0))];
  expect(uids(next)).toEqual([later.uid]);
  expect(await store.bufferLength()).toBe(5);
  // Written as relays before tags wrote their entries: a field per tag after uid and event.
  const written = await redis.xrange(partitionKeys(prefix, partitionOf(later.uid, partitions)).events, '-', '+');
  const fields = written.find(([, f]) => f[1] === later.uid)?.[1];
  expect(fields?.slice(4)).toEqual(['logout', '1']);
});
