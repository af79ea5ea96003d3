// Forwarding to the broker and database types: for each of amqp (RabbitMQ), nats (JetStream) and
// postgres, the target's own capacity, then the relay draining a backlog into it, in the same run.
// The capacity is measured with the relay's own target code (dist/src/forward/targets/), writing
// the same batches (batchSize) with as many in flight (concurrency) as the relay does, but fed from
// memory: the ratio drain ÷ capacity is what the relay's reading, acknowledging and bookkeeping
// leave of what the target and its client can take. The servers are the machine's (.ci/run starts
// them on their standard ports); a type whose server does not answer is reported as skipped.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import pg from 'pg';
import { missingServices, SERVICE_URLS } from '../chaos/brokers.mjs';
import { settledOutcomes } from './ingest.mjs';
import { load } from './load.mjs';
import { canonicalEventBody, jsonEventBody } from './payloads.mjs';
import { fmt } from './report.mjs';

const BATCH = 100;
const CONCURRENCY = 8;

/** One type's destination, and how to count (and clear) what reached it. */
async function targetUnder(kind, tag) {
  if (kind === 'amqp') {
    const exchange = `kcr.bench.${tag}`;
    const model = await amqpConnect(SERVICE_URLS.amqp);
    const channel = await model.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const queue = `${exchange}.q`;
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, '#');
    return {
      destination: { type: 'amqp', name: 'rabbitmq', url: SERVICE_URLS.amqp, exchange },
      count: async () => (await channel.checkQueue(queue)).messageCount,
      clear: async () => void (await channel.purgeQueue(queue)),
      close: async () => {
        await channel.deleteQueue(queue).catch(() => undefined);
        await channel.deleteExchange(exchange).catch(() => undefined);
        await model.close();
      },
    };
  }
  if (kind === 'nats') {
    const subject = `kcrbench${tag}`;
    const stream = subject.toUpperCase();
    const nc = await natsConnect({ servers: new URL(SERVICE_URLS.nats).host });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${subject}.>`] });
    return {
      destination: { type: 'nats', name: 'nats', url: SERVICE_URLS.nats, subject },
      count: async () => (await jsm.streams.info(stream)).state.messages,
      clear: async () => void (await jsm.streams.purge(stream)),
      close: async () => {
        await jsm.streams.delete(stream).catch(() => undefined);
        await nc.close();
      },
    };
  }
  const table = `kcr_bench_${tag}`;
  const client = new pg.Client({ connectionString: SERVICE_URLS.postgres });
  await client.connect();
  return {
    destination: { type: 'postgres', name: 'postgres', url: SERVICE_URLS.postgres, table },
    count: async () => Number((await client.query(`SELECT count(*) AS n FROM ${table}`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n),
    clear: async () => void (await client.query(`TRUNCATE ${table}`).catch(() => undefined)),
    close: async () => {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await client.end();
    },
  };
}

/**
 * The target's capacity: `total` events written by the relay's own target class, `CONCURRENCY`
 * batches of `BATCH` in flight, from memory (no store, no relay). Events/s.
 */
async function capacity(bench, destination, total) {
  const { createTarget } = await import(pathToFileURL(join(bench.ROOT, 'dist/src/forward/targets/index.js')).href);
  const { loadConfig } = await import(pathToFileURL(join(bench.ROOT, 'dist/src/config/env.js')).href);
  const [config] = loadConfig({
    AUTH_SECRET: bench.AUTH_SECRET,
    DESTINATIONS: JSON.stringify([{ ...destination, batchSize: BATCH, concurrency: CONCURRENCY }]),
  }).DESTINATIONS;
  const target = createTarget(config);
  const entry = () => {
    const uid = bench.uids.next();
    const body = canonicalEventBody(uid);
    return { id: uid.toString(), uid: uid.toString(), body, deliveries: 1, event: JSON.parse(body) };
  };
  // Connected, exchange or table in place, before the clock starts: the relay's drain has these too.
  await target.write(Array.from({ length: BATCH }, entry), Date.now());
  let written = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (written < total) {
        const batch = Array.from({ length: Math.min(BATCH, total - written) }, entry);
        written += batch.length;
        const results = await target.write(batch, Date.now());
        failed += results.filter((r) => !r.ok).length;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await target.close();
  if (failed > 0) throw new Error(`capacity: ${failed} of ${total} writes failed`);
  return total / seconds;
}

async function waitCount(count, n, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  let first = null;
  let last = 0;
  let lastAt = Date.now();
  for (;;) {
    const c = await count();
    if (c > 0 && first === null) first = Date.now();
    if (c !== last) {
      last = c;
      lastAt = Date.now();
    }
    if (c >= n || Date.now() > deadline || Date.now() - lastAt > 20_000) return { count: c, firstAt: first, lastAt };
    await sleep(50);
  }
}

/** Pushes one row per type into `drain.rows` (and the figures into `drain.targets`). */
export async function targetDrainBench(bench, redis, drain, { backlog }) {
  const { AUTHORIZATION, uids, quiet, startRelay } = bench;
  drain.targets = [];
  const missing = await missingServices();
  for (const kind of ['amqp', 'nats', 'postgres']) {
    const label = { amqp: 'RabbitMQ (amqp)', nats: 'NATS JetStream (nats)', postgres: 'PostgreSQL (postgres)' }[kind];
    if (missing.some((m) => m.startsWith(kind))) {
      drain.rows.push([`drain to ${label}`, `skipped: server not reachable (${missing.join(', ')})`]);
      continue;
    }
    const under = await targetUnder(kind, `${process.pid}_${Date.now()}`);
    try {
      await quiet();
      const capacityRate = await capacity(bench, under.destination, backlog);
      await under.clear();

      const prefix = `bdrain-${kind}:`;
      const filler = await startRelay(`relay (filling for ${kind})`, { REDIS_URL: redis.url, KEY_PREFIX: prefix });
      try {
        await load({
          url: `${filler.url}/events`,
          headers: { authorization: AUTHORIZATION },
          body: () => jsonEventBody(uids.next()),
          connections: bench.SETTINGS.fillConnections,
          amount: backlog,
        });
        const accepted = (await settledOutcomes(filler.url)).accepted ?? 0;
        if (accepted !== backlog) throw new Error(`backlog: ${accepted} events accepted instead of ${backlog}`);
      } finally {
        await filler.proc.stop();
      }

      await quiet();
      const destination = { ...under.destination, batchSize: BATCH, concurrency: CONCURRENCY };
      const relay = await startRelay(`relay (draining to ${kind})`, {
        REDIS_URL: redis.url,
        KEY_PREFIX: prefix,
        DESTINATIONS: JSON.stringify([destination]),
      });
      let drained;
      try {
        drained = await waitCount(under.count, backlog, bench.SETTINGS.drainTimeoutS);
      } finally {
        await relay.proc.stop();
      }
      const spanS = drained.firstAt === null ? NaN : (drained.lastAt - drained.firstAt) / 1000;
      const rate = drained.count / spanS;
      const complete = drained.count >= backlog;
      drain.targets.push({ kind, backlog, capacity: capacityRate, drained: drained.count, rate, ratio: rate / capacityRate, complete });
      drain.rows.push([
        `drain to ${label}: ${fmt.int(backlog)} events, batches of ${BATCH}, ${CONCURRENCY} in flight${complete ? '' : ` (INCOMPLETE: ${fmt.int(drained.count)})`}`,
        `${fmt.int(rate)} events/s ÷ target capacity ${fmt.int(capacityRate)} events/s = ${fmt.ratio3(rate / capacityRate)}`,
      ]);
      console.log(`  ${kind}: capacity ${fmt.int(capacityRate)}/s, drain ${fmt.int(rate)}/s`);
      await redis.client.flushall();
    } finally {
      await under.close();
    }
  }
}
