// Replicas share the work (issue 12): three relay processes behind a loopback round-robin, on one
// standalone Redis (append-only file on) and on a three-primary cluster with PARTITIONS=6. Resends
// of one uid to different replicas store one event; every event reaches the destination and every
// LOGOUT is published; one replica is killed with SIGKILL mid-run and nothing is lost: its pending
// entries are taken over by the others (FORWARD_CLAIM_IDLE=2s for destinations; the logout
// publisher takes over after its own 30 s).
import { Cluster, Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { request } from 'undici';
import { createLogoutClient, type LogoutClient } from '../../src/client/index.js';
import { consumerName } from '../../src/consume/consumer-name.js';
import { LOGOUT_GROUP } from '../../src/logout/group.js';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { runPosters, tally } from '../support/posters.js';
import { startTestCluster } from '../support/redis-cluster.js';
import { startTestRedis } from '../support/redis-server.js';
import { warningsByMessage } from '../support/relay-log.js';
import { RoundRobinProxy } from '../support/round-robin-proxy.js';
import { uniquePrefix } from '../support/relay.js';
import { Sink, until } from '../support/sink.js';

const HANG_MS = 10_000;
const BEFORE_KILL = 120;
const AFTER_KILL = 120;
/** The logout publisher's claim idle is its own 30 s (not FORWARD_CLAIM_IDLE), checked every 15 s. */
const LOGOUT_TAKEOVER_MS = 50_000;

interface Store {
  env: Record<string, string>;
  /** A client for inspection and the logout subscription. */
  client: Redis | Cluster;
  dispose(): Promise<void>;
}

async function standalone(): Promise<Store> {
  const redis = await startTestRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec'] });
  const client = new Redis(redis.url);
  return { env: { REDIS_URL: redis.url }, client, dispose: async () => (client.disconnect(), redis.dispose()) };
}

async function cluster(): Promise<Store> {
  const c = await startTestCluster({ appendfsync: 'everysec' });
  const client = new Cluster(c.nodes.map((a) => ({ host: '127.0.0.1', port: Number(a.split(':')[1]) })));
  return {
    env: { REDIS_CLUSTER_NODES: c.nodes.join(','), PARTITIONS: '6' },
    client,
    dispose: async () => (client.disconnect(), c.dispose()),
  };
}

/** Every partition's `events` stream (one today, `{p0}`; more with PARTITIONS). */
async function eventStreams(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const streams: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    for (let page = 0; page < 1_000; page++) {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*:events`, 'COUNT', 1_000, 'TYPE', 'stream');
      streams.push(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  }
  expect(streams.length).toBeGreaterThan(0);
  return streams;
}

/** Entries pending on `consumer` in each group, over every partition. */
async function pendingOn(client: Redis | Cluster, prefix: string, consumer: string, groups: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const key of await eventStreams(client, prefix)) {
    for (const group of groups) {
      // A partition whose group does not exist yet holds nothing for anyone.
      const entries = (await client.xpending(key, group, '-', '+', 10_000, consumer).catch((err: Error) => {
        if (err.message.includes('NOGROUP')) return [];
        throw err;
      })) as unknown[];
      out[group] = (out[group] ?? 0) + entries.length;
    }
  }
  return out;
}

/** How many times each uid is in the ring buffer, over every partition's `events` stream. */
async function storedUids(client: Redis | Cluster, prefix: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const key of await eventStreams(client, prefix)) {
    let from = '-';
    for (let page = 0; page < 1_000; page++) {
      const entries = await client.xrange(key, from, '+', 'COUNT', 1_000);
      for (const [, fields] of entries) {
        const uid = fields[fields.indexOf('uid') + 1]!;
        counts.set(uid, (counts.get(uid) ?? 0) + 1);
      }
      if (entries.length < 1_000) break;
      from = `(${entries.at(-1)![0]}`;
    }
  }
  return counts;
}

function duplicates(values: readonly string[]): number {
  return values.length - new Set(values).size;
}

async function replicasShareTheWork(makeStore: () => Promise<Store>, label: string): Promise<void> {
  const cleanup: Array<() => Promise<unknown>> = [];
  let stopPosting = false;
  try {
    const store = await makeStore();
    cleanup.push(() => store.dispose());
    const sink = new Sink();
    await sink.start();
    cleanup.push(() => sink.stop());
    const prefix = uniquePrefix();
    const heard: string[] = [];
    const logouts: LogoutClient = await createLogoutClient({ redis: store.client, keyPrefix: prefix });
    logouts.on('message', (m) => void heard.push(m.eventUid));
    cleanup.push(() => logouts.close());

    const relays: ChildRelay[] = [];
    for (let i = 0; i < 3; i++) {
      const relay = await startChildRelay({
        ...store.env,
        KEY_PREFIX: prefix,
        RELAY_WORKER_ID: String(i + 1),
        DESTINATIONS: JSON.stringify([{ name: 'audit', url: sink.url }]),
        FORWARD_CLAIM_IDLE: '2s',
        LOG_LEVEL: 'warn',
      });
      relays.push(relay);
      cleanup.push(async () => {
        if (relay.process.exitCode === null && relay.process.signalCode === null) relay.process.kill('SIGKILL');
        await relay.exited;
      });
    }
    const live = (): ChildRelay[] => relays.filter((r) => r.process.exitCode === null && r.process.signalCode === null);
    const proxy = new RoundRobinProxy(relays.map((r) => Number(new URL(r.url).port)));
    await proxy.start();
    cleanup.push(() => proxy.stop());

    // The same uid to the three replicas at once: one stores it, the others see it stored.
    const raced: string[] = [];
    for (let i = 0; i < 20; i++) {
      const uid = freshUid();
      raced.push(uid);
      const answers = await Promise.all(relays.map((r) => postEvent(r.url, loginEventJson(uid))));
      expect(answers.map((a) => `${a.status} ${a.json.status}`).sort()).toEqual(['200 accepted', '200 duplicate', '200 duplicate']);
    }

    const bodies = new Map<string, string>();
    const logoutUids = new Set<string>();
    const resends: Array<number | null> = [];
    let accepted = 0;
    const posting = runPosters({
      posters: 4,
      target: () => proxy.url,
      body: (uid, n) => {
        const body = n % 4 === 0 ? loginEventJson(uid, { type: 'LOGOUT' }) : loginEventJson(uid);
        if (n % 4 === 0) logoutUids.add(uid);
        bodies.set(uid, body);
        return body;
      },
      stop: () => stopPosting,
      maxRequests: 20_000,
      maxMs: 40_000,
      hangMs: HANG_MS,
      pauseMs: 5,
      closeEach: true,
      onAccepted: async (uid, n) => {
        accepted += 1;
        // A resend of an accepted uid to each live replica, whichever stored it: all duplicates.
        if (n % 5 !== 0) return;
        const answers = await Promise.all(
          live().map((r) =>
            postEvent(r.url, bodies.get(uid)!).then(
              (a) => (a.json?.status === 'duplicate' ? a.status : -a.status),
              () => null,
            ),
          ),
        );
        resends.push(...answers);
      },
    });
    await until(() => accepted >= BEFORE_KILL, 20_000, `${BEFORE_KILL} events accepted before the kill`);
    const victim = relays[0]!;
    victim.process.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    const leftPending = await pendingOn(store.client, prefix, consumerName(1), ['audit', LOGOUT_GROUP]);
    const base = accepted;
    await until(() => accepted >= base + AFTER_KILL, 20_000, `${AFTER_KILL} events accepted after the kill`);
    stopPosting = true;
    const run = await posting;
    const acceptedUids = [...raced, ...run.accepted.keys()];
    const acceptedLogouts = [...run.accepted.keys()].filter((u) => logoutUids.has(u));

    // Delivered and published, the killed replica's share included (taken over by the others).
    await until(() => acceptedUids.every((u) => sink.delivered.includes(u)), 20_000, 'every accepted event delivered');
    const deliveredAt = Date.now();
    await until(() => acceptedLogouts.every((u) => heard.includes(u)), LOGOUT_TAKEOVER_MS, 'every accepted LOGOUT published');
    const publishedAt = Date.now();
    // What the killed replica held is taken over and acknowledged by the others (not left pending).
    let stillPending: Record<string, number> = {};
    await until(
      async () => {
        stillPending = await pendingOn(store.client, prefix, consumerName(1), ['audit', LOGOUT_GROUP]);
        return Object.values(stillPending).every((n) => n === 0);
      },
      LOGOUT_TAKEOVER_MS,
      "the killed replica's pending entries taken over",
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(stillPending)}`);
    });
    const drainedAt = Date.now();
    const stored = await storedUids(store.client, prefix);

    const readyz = await Promise.all(live().map(async (r) => (await request(`${r.url}/readyz`)).statusCode));
    console.log(
      [
        `replicas share the work, ${label}:`,
        `  requests ${run.attempts.length} through the round-robin, by answer ${JSON.stringify(tally(run.attempts))}`,
        `  connections per replica ${JSON.stringify(proxy.served)}; replica 1 killed after ${BEFORE_KILL} accepted, leaving pending ${JSON.stringify(leftPending)}`,
        `  uids answered 200: ${acceptedUids.length}; in the ring buffer: ${stored.size} (more than once: ${[...stored.values()].filter((c) => c > 1).length})`,
        `  resends to each live replica: ${resends.length}, answered 200 duplicate: ${resends.filter((s) => s === 200).length}`,
        `  deliveries ${sink.delivered.length}, distinct ${new Set(sink.delivered).size}, duplicates ${duplicates(sink.delivered)}; all delivered ${deliveredAt - killedAt} ms after the kill`,
        `  LOGOUT events accepted ${acceptedLogouts.length}; messages heard ${heard.length}, duplicates ${duplicates(heard)}; all published ${publishedAt - killedAt} ms after the kill`,
        `  the killed replica's pending entries all taken over ${drainedAt - killedAt} ms after the kill`,
        ...relays.map((r, i) => `  replica ${i + 1} warnings/errors: ${JSON.stringify(warningsByMessage(r.output()))}`),
      ].join('\n'),
    );

    expect(readyz).toEqual([200, 200]);
    // Only dropped connections (requests in flight on the killed replica, resent by the poster) and 200s.
    expect(run.attempts.filter((a) => a.status !== null && a.status !== 200)).toEqual([]);
    expect(run.attempts.filter((a) => a.status === null).length).toBeLessThanOrEqual(4);
    expect(resends.length).toBeGreaterThan(0);
    expect(resends.filter((s) => s !== 200 && s !== null)).toEqual([]);
    // Exactly one stored event per uid, and every accepted one there.
    expect([...stored].filter(([, c]) => c > 1)).toEqual([]);
    expect(acceptedUids.filter((u) => !stored.has(u))).toEqual([]);
    expect(acceptedLogouts.length).toBeGreaterThan(0);
  } finally {
    stopPosting = true;
    while (cleanup.length) await cleanup.pop()!();
  }
}

it('on one standalone Redis: resends dedup across replicas, a killed replica loses nothing', async () => {
  await replicasShareTheWork(standalone, 'standalone Redis, AOF on');
}, 120_000);

it('on a three-primary cluster with PARTITIONS=6: the same', async () => {
  await replicasShareTheWork(cluster, 'Redis Cluster 3 primaries, PARTITIONS=6');
}, 120_000);
