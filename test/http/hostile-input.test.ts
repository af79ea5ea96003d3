// Whatever an authenticated client sends, the relay answers 200 (stored/quarantined) or a 4xx,
// never another 5xx, and keeps serving; forged FlatBuffers cost no memory.
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { startRelay, type Relay } from '../support/relay.js';
import { bytesOf, golden, rootLayout } from '../support/flatbuffer-goldens.js';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), FLATBUFFERS_SCHEMA: 'emitter-2020', BODY_LIMIT: '65536' });
});
afterAll(() => relay.close());

const ok = (res: { status: number; json: any }): boolean =>
  (res.status === 200 && ['accepted', 'duplicate', 'quarantined'].includes(res.json.status)) ||
  (res.status >= 400 && res.status < 500 && typeof res.json.error?.code === 'string');

const logout = golden('emitter-2020--event-logout');
const wrapper = (bytes: Uint8Array) => JSON.stringify({ type: 'Event', obj: Buffer.from(bytes).toString('base64') });

/** Random edits of a valid body: flips, overwrites, truncation. */
const mutated = (base: Buffer) =>
  fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).chain((edits) =>
    fc.nat({ max: base.length }).map((cut) => {
      const copy = Buffer.from(base);
      for (const [i, v] of edits) copy[i] = v;
      return copy.subarray(0, Math.max(cut, 1));
    }),
  );

it('random and mutated bodies: never a 5xx, never a crash', async () => {
  const json = Buffer.from(loginEventJson(freshUid()));
  const fb = Buffer.from(wrapper(bytesOf(logout)));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
        mutated(json),
        mutated(fb),
      ),
      async (body) => {
        const res = await postEvent(relay.url, body);
        expect(ok(res), `${res.status} ${JSON.stringify(res.json)}`).toBe(true);
      },
    ),
    { numRuns: 200 },
  );
  expect((await request(`${relay.url}/healthz`)).statusCode).toBe(200);
});

it('a FlatBuffer whose vector claims 50,000,000 elements is quarantined without allocating for them', async () => {
  const bytes = bytesOf(logout).slice();
  new DataView(bytes.buffer).setUint32(rootLayout(bytes).target(9), 50_000_000, true);
  const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
  const res = await postEvent(relay.url, wrapper(bytes));
  expect(res.json).toMatchObject({ status: 'quarantined', error: { code: 'KCR_ERR_FLATBUFFER' } });
  expect(res.json.error.message).toMatch(/claims 50000000 elements/);
  // 50M Tuples would be gigabytes; a few MB of noise is all the request may cost.
  const after = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
  expect(after - before).toBeLessThan(64 * 1024 * 1024);
});
