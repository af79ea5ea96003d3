// The catch-up outlives the relay polling it: its checkpoint and lease live in the store. A relay
// killed with SIGKILL in the middle of a read is followed, on Redis, by another relay once the
// lease lapses, and on the embedded store by the relay restarted on the same DATA_DIR at once; the
// follower goes on from the checkpoint (not from the start) and every event is stored once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { createStore } from '../../src/store/create-store.js';
import { killChildRelay, startChildRelayCleanedUp, type ChildRelay } from '../support/child-relay.js';
import { KeycloakStandIn, userEvent } from '../support/keycloak-stand-in.js';
import { ADMIN_TOKEN, SECRET, uniquePrefix } from '../support/relay.js';
import { until } from '../support/sink.js';

const EVENTS = 300;
const PAGE = 10;

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const child = (env: Record<string, string>): Promise<ChildRelay> => startChildRelayCleanedUp(env, cleanup);
const kill = killChildRelay;

async function pollingHere(relay: ChildRelay): Promise<boolean> {
  const res = await request(`${relay.url}/admin/summary`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.body.json()) as { sources: Array<{ pollingHere: boolean }> }).sources[0]?.pollingHere === true;
}

/** A Keycloak with EVENTS saved events, two hours old, answering a page every 100 ms. */
async function slowKeycloak(): Promise<{ kc: KeycloakStandIn; t0: number; env: Record<string, string> }> {
  const kc = new KeycloakStandIn();
  await kc.start();
  cleanup.push(() => kc.stop());
  const t0 = Date.now() - 7_200_000;
  for (let i = 0; i < EVENTS; i++) kc.add('events', userEvent(t0 + i));
  kc.pageDelayMs = 100;
  const env = {
    KEYCLOAK_SOURCES: JSON.stringify([kc.source({ interval: '1s', pageSize: PAGE, adminEvents: false })]),
    FORWARD_CLAIM_IDLE: '3s',
  };
  return { kc, t0, env };
}

/** Keycloak's ids as stored under these settings, each as often as it is stored. */
async function storedIds(env: Record<string, string>): Promise<Map<string, number>> {
  const { store } = await createStore(loadConfig({ AUTH_SECRET: SECRET, ...env }));
  try {
    const ids = new Map<string, number>();
    for (const entry of await store.scan(null, 10_000)) {
      const id = entry.event.source.keycloakApi?.id;
      if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    return ids;
  } finally {
    await store.close();
  }
}

/** What the follower read after the kill: from the checkpoint on, not from the start. */
function expectResumed(kc: KeycloakStandIn, t0: number, servedBeforeKill: number): void {
  const after = kc.requests.slice(servedBeforeKill);
  expect(after.length).toBeGreaterThan(0);
  // The first relay read at least 10 pages of 10 before it died: the follower starts past them.
  expect(after[0]!.dateFrom).toBeGreaterThanOrEqual(t0 + 8 * PAGE);
  expect(after.length).toBeLessThan(EVENTS / PAGE);
}

it('redis: another relay takes a source over from its checkpoint once the lease of the killed one lapses', async () => {
  const { kc, t0, env } = await slowKeycloak();
  const shared = { ...env, REDIS_URL: inject('redisUrl'), KEY_PREFIX: uniquePrefix() };
  const a = await child({ ...shared, RELAY_WORKER_ID: '1' });
  const b = await child({ ...shared, RELAY_WORKER_ID: '2' });
  await until(() => kc.requests.length >= 10, 20_000, 'ten pages read');
  const [polling, other] = (await pollingHere(a)) ? [a, b] : [b, a];
  expect(await pollingHere(other)).toBe(false);
  await kill(polling);
  const served = kc.requests.length;

  await until(() => pollingHere(other), 20_000, 'the other relay polls');
  await until(async () => (await storedIds(shared)).size === EVENTS, 30_000, 'every event stored');
  const ids = await storedIds(shared);
  expect([...ids.values()].every((n) => n === 1)).toBe(true);
  expectResumed(kc, t0, served);
}, 90_000);

it('embedded: the relay restarted on the same DATA_DIR goes on from its checkpoint at once', async () => {
  const { kc, t0, env } = await slowKeycloak();
  const dataDir = mkdtempSync(join(tmpdir(), 'kcr-catch-up-kill-'));
  cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
  // A lease far longer than the test waits: the restarted relay must take its own back, not wait it out.
  const first = await child({ ...env, DATA_DIR: dataDir, FORWARD_CLAIM_IDLE: '30s' });
  await until(() => kc.requests.length >= 10, 20_000, 'ten pages read');
  await kill(first);
  const served = kc.requests.length;

  const again = await child({ ...env, DATA_DIR: dataDir, FORWARD_CLAIM_IDLE: '30s' });
  await until(() => pollingHere(again), 20_000, 'polling again');
  await until(
    async () => {
      const res = await request(`${again.url}/admin/summary`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return ((await res.body.json()) as { sources: Array<{ state: string; caughtUpAt: string | null }> }).sources[0]?.caughtUpAt !== null;
    },
    30_000,
    'caught up',
  );
  again.process.kill('SIGTERM');
  expect(await again.exited).toBe(0);
  const ids = await storedIds({ DATA_DIR: dataDir });
  expect(ids.size).toBe(EVENTS);
  expect([...ids.values()].every((n) => n === 1)).toBe(true);
  expectResumed(kc, t0, served);
}, 90_000);
