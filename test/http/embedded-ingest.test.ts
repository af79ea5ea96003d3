// The ingest path end to end with no Redis configured: the relay falls back to the embedded store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';

let relay: Relay;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kcr-http-embedded-'));
  relay = await startRelay({ DATA_DIR: dir });
});
afterAll(async () => {
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

async function admin(path: string) {
  const res = await request(`${relay.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.statusCode, json: (await res.body.json()) as any };
}

it('accepts, deduplicates and serves an event from the embedded store', async () => {
  const uid = freshUid();
  expect(await postEvent(relay.url, loginEventJson(uid))).toMatchObject({ status: 200, json: { status: 'accepted', uid } });
  expect((await postEvent(relay.url, loginEventJson(uid))).json).toEqual({ status: 'duplicate', uid });
  expect(await admin(`/admin/events/${uid}`)).toMatchObject({ status: 200, json: { uid, type: 'LOGIN', late: false } });
  expect((await admin(`/admin/events/${freshUid()}`)).json.error.code).toBe('KCR_ERR_EVENT_NOT_FOUND');
});

it('quarantines an undecodable body', async () => {
  const res = await postEvent(relay.url, '{"time":1,"realmId":"master","uid":1}');
  expect(res).toMatchObject({ status: 200, json: { status: 'quarantined', error: { code: 'KCR_ERR_EVENT_KIND' } } });
});

it('reports the embedded store, for one replica, on /readyz', async () => {
  const res = await request(`${relay.url}/readyz`);
  expect(res.statusCode).toBe(200);
  expect(await res.body.json()).toEqual({ status: 'ready', store: 'embedded', singleReplica: true, reachable: true });
});
