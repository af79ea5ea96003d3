// Load shedding: while the event loop is saturated, ingest answers 503 + Retry-After with a code
// (and nothing is stored), probes and metrics still answer, and ingest recovers once the load is gone.
// The saturation is real: this process's own loop, busy in bounded slices.
import { request } from 'undici';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { SECRET, startRelay, type Relay } from '../support/relay.js';
import { until } from '../support/sink.js';

let relay: Relay;

beforeAll(async () => {
  relay = await startRelay({ REDIS_URL: inject('redisUrl'), SHED_EVENT_LOOP_UTILIZATION: '0.5', SHED_RETRY_AFTER: '7s' });
});
afterAll(() => relay.close());

/** Keeps the loop busy in 300 ms slices, yielding briefly between them, until stopped (at most 20 s). */
function saturate(): () => void {
  let stop = false;
  const deadline = Date.now() + 20_000;
  const slice = (): void => {
    if (stop || Date.now() > deadline) return;
    const end = Date.now() + 300;
    while (Date.now() < end);
    setTimeout(slice, 1);
  };
  slice();
  return () => (stop = true);
}

it('answers 503 + Retry-After under saturation, keeps probes and metrics up, then recovers', async () => {
  const stop = saturate();
  let shed: Awaited<ReturnType<typeof postEvent>> | undefined;
  try {
    for (let i = 0; i < 60 && !shed; i++) {
      const answer = await postEvent(relay.url, loginEventJson(freshUid()));
      if (answer.status === 503) shed = answer;
    }
    expect(shed, 'a post answered 503 while the loop was saturated').toBeDefined();
    expect(shed!.headers['retry-after']).toBe('7');
    expect(shed!.json.error.code).toBe('KCR_ERR_OVERLOADED');
    expect((await request(`${relay.url}/healthz`)).statusCode).toBe(200);
    const metrics = await (await request(`${relay.url}/metrics`)).body.text();
    expect(metrics).toMatch(/kcr_ingest_requests_total\{outcome="overloaded"\} [1-9]/);
  } finally {
    stop();
  }
  await until(async () => (await postEvent(relay.url, loginEventJson(freshUid()))).status === 200, 15_000, 'ingest accepted again');
}, 40_000);

it('takes its thresholds from the configuration, naming a bad one', () => {
  expect(loadConfig({ AUTH_SECRET: SECRET })).toMatchObject({
    SHED_EVENT_LOOP_DELAY: 1_000,
    SHED_EVENT_LOOP_UTILIZATION: 0,
    SHED_RETRY_AFTER: 5_000,
  });
  expect(loadConfig({ AUTH_SECRET: SECRET, SHED_EVENT_LOOP_DELAY: '0' }).SHED_EVENT_LOOP_DELAY).toBe(0);
  expect(() => loadConfig({ AUTH_SECRET: SECRET, SHED_EVENT_LOOP_DELAY: 'fast' })).toThrow(/SHED_EVENT_LOOP_DELAY/);
  expect(() => loadConfig({ AUTH_SECRET: SECRET, SHED_EVENT_LOOP_UTILIZATION: '1.5' })).toThrow(/SHED_EVENT_LOOP_UTILIZATION/);
});
