// Every accepted event reaches a RabbitMQ, NATS JetStream or PostgreSQL destination through a cut
// of the link (a TCP proxy dropping every connection for a few seconds) and a kill -9 of the relay
// mid-delivery, on both stores: exactly one message / row per uid for NATS and PostgreSQL (their
// dedup by uid), at least one for RabbitMQ (duplicates counted).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startChildRelay, type ChildRelay } from '../support/child-relay.js';
import { postAccepted, postEvent } from '../support/http.js';
import { loginEventJson } from '../support/payloads.js';
import { uniquePrefix } from '../support/relay.js';
import { until } from '../support/sink.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import {
  AMQP_URL,
  AmqpReader,
  NATS_URL,
  NatsStream,
  POSTGRES_URL,
  portOf,
  reachable,
  sql,
  uniqueName,
  viaPort,
} from '../support/targets.js';

const redisUrl = inject('redisUrl');
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

type StoreKind = 'redis' | 'embedded';
type TargetKind = 'amqp' | 'nats' | 'postgres';

/** One destination of `kind`, and how to read back what reached it: uid → copies. */
interface Under {
  url: string;
  destination: Record<string, unknown>;
  counts(): Promise<Map<string, number>>;
  /** How many events reached it so far (cheap enough to poll). */
  reached(): Promise<number>;
}

async function target(kind: TargetKind): Promise<Under> {
  if (kind === 'amqp') {
    const exchange = uniqueName('kcr.fault');
    const reader = new AmqpReader(exchange);
    await reader.start();
    open.push(reader);
    return { url: AMQP_URL, destination: { exchange }, counts: async () => reader.counts(), reached: async () => reader.counts().size };
  }
  if (kind === 'nats') {
    const stream = new NatsStream(uniqueName('kcrfault'));
    await stream.create();
    open.push(stream);
    return {
      url: NATS_URL,
      destination: { subject: stream.subject },
      counts: async () => {
        const counts = new Map<string, number>();
        for (const m of await stream.messages()) counts.set(m.msgId, (counts.get(m.msgId) ?? 0) + 1);
        return counts;
      },
      reached: async () => (await (await jetstreamManager(await stream.connect())).streams.info(stream.stream)).state.messages,
    };
  }
  const table = uniqueName('kcr_fault');
  open.push({ close: () => sql(`DROP TABLE IF EXISTS ${table}`).then(() => undefined) });
  // The primary key makes a second row per uid impossible: what is counted is that none is missing.
  const counts = async () => new Map((await sql<{ uid: string }>(`SELECT uid FROM ${table}`).catch(() => [])).map((r) => [r.uid, 1]));
  return { url: POSTGRES_URL, destination: { table }, counts, reached: async () => (await counts()).size };
}

const ingest = (relay: ChildRelay, n: number): Promise<string[]> => postAccepted(relay.url, n);

const urls: Record<TargetKind, string> = { amqp: AMQP_URL, nats: NATS_URL, postgres: POSTGRES_URL };

describe.each<StoreKind>(['redis', 'embedded'])('on the %s store', (store) => {
  it.for<TargetKind>(['amqp', 'nats', 'postgres'])(
    '%s: every accepted event arrives through a cut link and a kill -9 mid-delivery',
    { timeout: 90_000 },
    async (kind, { skip }) => {
      if (!(await reachable(urls[kind]))) {
        if (process.env.CI) throw new Error(`${kind} server not reachable: .ci/run starts it`);
        skip();
      }
      const under = await target(kind);
      const proxy = new TcpProxy(portOf(under.url));
      await proxy.start();
      open.push({ close: () => proxy.cut() });
      let storeEnv: Record<string, string> = { REDIS_URL: redisUrl, KEY_PREFIX: uniquePrefix() };
      if (store === 'embedded') {
        const dir = mkdtempSync(join(tmpdir(), 'kcr-target-faults-'));
        open.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
        storeEnv = { DATA_DIR: dir };
      }
      // Paced (50 events/s) so that the kill lands mid-delivery; never dead-lettered.
      const destination = { type: kind, name: 'faulty', url: viaPort(under.url, proxy.port), ...under.destination };
      Object.assign(destination, { batchSize: 10, ratePerSecond: 50, maxAttempts: 1000, timeoutMs: 1_000 });
      const env = { ...storeEnv, DESTINATIONS: JSON.stringify([destination]) };
      const first = await startChildRelay(env);
      open.push({ close: async () => void first.process.kill('SIGKILL') });

      const uids = await ingest(first, 60);
      await until(async () => (await under.reached()) >= 20, 20_000, 'first deliveries');
      await proxy.cut();
      uids.push(...(await ingest(first, 60)));
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await proxy.start();
      // The emitter resends some: answered duplicate, never delivered twice because of it.
      for (const uid of uids.slice(0, 10)) expect((await postEvent(first.url, loginEventJson(uid))).json.status).toBe('duplicate');
      uids.push(...(await ingest(first, 60)));

      await until(async () => (await under.reached()) >= 100, 60_000, 'deliveries after the cut');
      first.process.kill('SIGKILL');
      await first.exited;
      const atKill = (await under.counts()).size;
      expect(atKill).toBeLessThan(uids.length);

      const second = await startChildRelay(env);
      open.push({ close: async () => void second.process.kill('SIGKILL') });
      await until(async () => (await under.counts()).size >= uids.length, 60_000, 'every event delivered after the restart');
      const counts = await under.counts();
      expect([...counts.keys()].sort()).toEqual([...uids].sort());
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
      if (kind === 'amqp') console.info(`amqp on ${store}: ${uids.length} events, ${duplicates} duplicate deliveries (at least once)`);
      else expect(duplicates).toBe(0);
    },
  );
});
