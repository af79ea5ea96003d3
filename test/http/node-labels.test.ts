// With AUTH_USERNAMES unset any username authenticates: the sender names that become metric labels
// and keys of per-node state are bounded (256 since start, later ones `other`), the cap logged once
// and each request under `other` counted; configured names always keep their own label.
import { Builder } from 'flatbuffers';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Event } from '../../generated/emitter2018/event.js';
import { NODE_NAMES_MAX, NodeLabels, OTHER_NODES } from '../../src/metrics/node-labels.js';
import { basic, freshUid } from '../support/payloads.js';
import { SECRET, startRelay, type Relay } from '../support/relay.js';

/** A FlatBuffer Event whose type byte (86) no Keycloak 8 constant has: stored as UNKNOWN, counted per node. */
function unknownTypeEvent(uid: string): string {
  const b = new Builder(128);
  const realm = b.createString('corp');
  Event.startEvent(b);
  Event.addUid(b, BigInt(uid));
  Event.addTime(b, BigInt(Date.now()));
  Event.addType(b, 86);
  Event.addRealmId(b, realm);
  b.finish(Event.endEvent(b));
  return JSON.stringify({ type: 'Event', obj: Buffer.from(b.asUint8Array()).toString('base64') });
}

describe('NodeLabels', () => {
  it('keeps configured names and the first `max` others, then answers `other`, saying so the first time', () => {
    const calls: boolean[] = [];
    const labels = new NodeLabels(['kc-listed'], (first) => calls.push(first), 2);
    expect(['a', 'b', 'a', 'c', 'd', 'b', 'kc-listed'].map((n) => labels.of(n))).toEqual([
      'a',
      'b',
      'a',
      OTHER_NODES,
      OTHER_NODES,
      'b',
      'kc-listed',
    ]);
    expect(calls).toEqual([true, false]);
  });
});

describe('over HTTP, with AUTH_USERNAMES unset', () => {
  const SENDERS = NODE_NAMES_MAX + 44;
  let relay: Relay;
  beforeAll(async () => {
    // KEYCLOAK_VERSION unset: each node is also warned once that a default names its bytes.
    relay = await startRelay({
      REDIS_URL: inject('redisUrl'),
      NODE_SETTINGS: JSON.stringify({ 'kc-configured': { bodyCharset: 'utf-8' } }),
    });
    for (const node of [...Array.from({ length: SENDERS }, (_, i) => `kc-${i}`), 'kc-configured']) {
      const res = await request(`${relay.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(node, SECRET) },
        body: unknownTypeEvent(freshUid()),
      });
      expect(((await res.body.json()) as { status: string }).status).toBe('accepted');
    }
  }, 60_000);
  afterAll(() => relay.close());

  it('labels at most 256 names in /metrics, the rest `other`, and counts the requests under `other`', async () => {
    const metrics = await (await request(`${relay.url}/metrics`)).body.text();
    const nodes = [...metrics.matchAll(/^kcr_ingest_unknown_enums_total\{node="([^"]+)",field="type"\} (\d+)$/gm)].map((m) => [
      m[1]!,
      Number(m[2]),
    ]);
    const named = nodes.filter(([node]) => node !== OTHER_NODES);
    expect(named).toHaveLength(NODE_NAMES_MAX + 1);
    expect(named.map(([node]) => node)).toContain('kc-configured');
    expect(nodes).toContainEqual([OTHER_NODES, SENDERS - NODE_NAMES_MAX]);
    expect(metrics).toMatch(new RegExp(`^kcr_ingest_other_node_requests_total ${SENDERS - NODE_NAMES_MAX}$`, 'm'));
  });

  it('logs the cap once, and warns per label, not per name', () => {
    expect(relay.logs.filter((l) => l.includes(`more than ${NODE_NAMES_MAX} distinct sender names`))).toHaveLength(1);
    expect(relay.logs.filter((l) => l.includes('set KEYCLOAK_VERSION (or NODE_SETTINGS)'))).toHaveLength(NODE_NAMES_MAX + 2);
  });
});
