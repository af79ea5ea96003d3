// One chaos scenario on one store: Redis (AOF always or everysec, two replicas) or the embedded
// store (one replica), delivering to two webhook sinks or, with `destinations: 'brokers'`, to
// RabbitMQ, NATS JetStream and PostgreSQL through breakable links (brokers.mjs); with `workers` above
// 1, each Redis replica runs WORKERS relay processes and one of them is killed -9 now and then.
// Emitters, a Phase Two webhook and an SSF transmitter post while the fault plan runs; then
// everything is healed, the
// emitters resend what they still hold, and the scenario waits until every event answered 200 has
// reached every destination (and, for a LOGOUT, the logout subscriber or at least the durable
// revocation), timing that drain. The evidence is returned for the verdict.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { Emitter } from './emitter.mjs';
import { planFaults, runFaults } from './faults.mjs';
import { RedisLogoutWatcher, SseLogoutWatcher, sessionRevoked } from './logouts.mjs';
import { brokerSinks } from './brokers.mjs';
import { PhaseTwoPoster, SsfPoster } from './senders.mjs';
import { ChaosSink } from './sinks.mjs';
import { PersistentRedis, RelayReplica, scratchDir, stablePort } from './services.mjs';

export const SECRET = 'chaos-secret-5b1e0f7a';
export const ADMIN_TOKEN = 'chaos-admin-token-0123456789';
export const LOGOUT_TOKEN = 'chaos-logout-token-0123456789';
const PREFIX = 'chaos:';
const EMITTERS = 4;
const DRAIN_TIMEOUT_MS = 180_000;

/** Relay settings of every scenario (printed with the verdict). */
export const RELAY_SETTINGS = {
  BUFFER_OVERFLOW: 'reject',
  FORWARD_CLAIM_IDLE: '10s',
  destination: { timeoutMs: 2_000, maxAttempts: 1_000 },
};

export async function runScenario({
  name,
  store,
  fsync,
  destinations = 'webhooks',
  workers = 1,
  durationMs,
  quick,
  prng,
  runDir,
  root,
  flatbuffer,
  senders,
  progress,
}) {
  const dir = join(runDir, name);
  const removeDir = scratchDir(dir);
  const registry = new Map();
  const sinks = [];
  const relays = [];
  let redis = null;
  let watcher = null;
  const emitters = [];
  const close = async () => {
    await watcher?.stop();
    await Promise.all(emitters.map((e) => e.stop().catch(() => undefined)));
    await Promise.all(relays.map((r) => r.stop().catch(() => undefined)));
    await redis?.stop().catch(() => undefined);
    await Promise.all(sinks.map((s) => s.stop()));
    removeDir();
  };
  try {
    if (destinations === 'brokers') sinks.push(...(await brokerSinks({ registry, stablePort })));
    else {
      for (const sinkName of ['alpha', 'beta']) {
        const sink = new ChaosSink({ name: sinkName, port: await stablePort(), registry });
        await sink.start();
        sinks.push(sink);
      }
    }
    if (store === 'redis') {
      redis = new PersistentRedis({ dir: join(dir, 'redis'), fsync });
      await redis.start();
    }
    const capacity = quick ? 600 : 1_500;
    const baseEnv = {
      AUTH_SECRET: SECRET,
      ADMIN_TOKEN,
      LOGOUT_STREAM_TOKEN: LOGOUT_TOKEN,
      KEY_PREFIX: PREFIX,
      LOG_LEVEL: 'warn',
      BUFFER_OVERFLOW: RELAY_SETTINGS.BUFFER_OVERFLOW,
      BUFFER_CAPACITY: String(capacity),
      FORWARD_CLAIM_IDLE: RELAY_SETTINGS.FORWARD_CLAIM_IDLE,
      DESTINATIONS: JSON.stringify(
        sinks.map((s) => ({ ...(s.destination ?? { name: s.name, url: s.url }), ...RELAY_SETTINGS.destination })),
      ),
      ...(redis ? { REDIS_URL: redis.url } : { DATA_DIR: join(dir, 'data') }),
      ...(workers > 1 ? { WORKERS: String(workers) } : {}),
      ...senders.env,
    };
    const replicas = store === 'redis' ? 2 : 1;
    for (let i = 0; i < replicas; i++) {
      const relay = new RelayReplica({
        name: `relay-${i + 1}`,
        env: { ...baseEnv, RELAY_WORKER_ID: String(i + 1) },
        logFile: join(runDir, `${name}-relay-${i + 1}.log`),
      });
      await relay.start();
      relays.push(relay);
    }
    const liveUrl = () => (relays.find((r) => r.up) ?? relays[0]).url;
    watcher = redis
      ? new RedisLogoutWatcher({ url: redis.url, prefix: PREFIX })
      : new SseLogoutWatcher({ url: liveUrl, token: LOGOUT_TOKEN });
    await watcher.start();

    const perEmitterRate = quick ? 20 : 25;
    for (let i = 0; i < EMITTERS; i++) {
      emitters.push(
        new Emitter({
          id: i + 1,
          format: i % 2 === 0 ? 'json' : 'flatbuffer',
          prng: prng.fork(`emitter-${i + 1}`),
          targets: () => relays.map((r) => r.url),
          rate: perEmitterRate,
          bufferCapacity: 1_000,
          concurrency: 2,
          registry,
          secret: SECRET,
          flatbuffer,
        }),
      );
    }
    // Beside the emitters, Phase Two's webhook and Keycloak's SSF transmitter post the same kind of
    // traffic through their own routes (bench/chaos/senders.mjs), at the same rate.
    const others = { prng: prng.fork('senders'), targets: () => relays.map((r) => r.url), rate: perEmitterRate, bufferCapacity: 1_000 };
    emitters.push(
      new PhaseTwoPoster({ ...others, id: EMITTERS + 1, format: 'phasetwo', concurrency: 2, registry, secret: SECRET }),
      new SsfPoster({ ...others, id: EMITTERS + 2, format: 'ssf', concurrency: 2, registry, secret: SECRET, key: senders.key }),
    );

    const plan = planFaults(prng.fork('faults'), { store, durationMs, quick, replicas, workers, sinks: sinks.length });
    const faultLog = [];
    const fullAnswers = () => emitters.reduce((n, e) => n + e.stats.full, 0);
    const startedAt = Date.now();
    emitters.forEach((e) => e.start());
    progress(`${name}: ${plan.length} faults over ${durationMs / 1000} s: ${plan.map((f) => f.kind).join(', ')}`);
    await Promise.all([runFaults(plan, { relays, redis, sinks, fullAnswers, log: faultLog }, startedAt, durationMs), sleep(durationMs)]);

    // Heal: whatever the plan left broken (nothing, unless a step failed) is repaired.
    redis?.resume();
    if (redis && !redis.handle.running) await redis.start();
    for (const r of relays) if (!r.up) await r.start();
    for (const s of sinks) await s.set('ok');
    emitters.forEach((e) => e.stopProducing());
    const healedAt = Date.now();
    progress(`${name}: healed after ${((healedAt - startedAt) / 1000).toFixed(1)} s; draining`);

    const drain = await waitForDrain({ emitters, sinks, watcher, liveUrl, registry, healedAt });
    progress(
      `${name}: ${drain.complete ? `drained in ${(drain.ms / 1000).toFixed(1)} s` : `NOT drained after ${DRAIN_TIMEOUT_MS / 1000} s`}`,
    );
    await Promise.all(emitters.map((e) => e.stop()));
    const deadLetters = await destinationsState(liveUrl());
    // The caller reads the evidence (revocations need a live relay), then calls close().
    return {
      name,
      store,
      fsync,
      destinations,
      replicas,
      workers,
      durationMs,
      plan,
      faultLog,
      registry,
      emitters,
      sinks,
      watcher,
      relays,
      drain,
      deadLetters,
      bufferCapacity: capacity,
      liveUrl,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The acked LOGOUT events not heard by the subscriber, split into "revoked anyway" and "missing". */
export async function unheardLogouts({ acked, registry, watcher, liveUrl }) {
  const unheard = [...acked].filter((uid) => registry.get(uid)?.type === 'LOGOUT' && !watcher.heard(registry.get(uid)));
  const revoked = [];
  const missing = [];
  for (const uid of unheard) {
    let ok = false;
    try {
      ok = await sessionRevoked(liveUrl(), LOGOUT_TOKEN, registry.get(uid));
    } catch {
      ok = false;
    }
    (ok ? revoked : missing).push(uid);
  }
  return { revoked, missing };
}

async function waitForDrain({ emitters, sinks, watcher, liveUrl, registry, healedAt }) {
  const deadline = healedAt + DRAIN_TIMEOUT_MS;
  let emittersFlushedMs = null;
  let lastRevocationCheck = 0;
  while (Date.now() < deadline) {
    if (emittersFlushedMs === null && emitters.every((e) => e.pending === 0)) emittersFlushedMs = Date.now() - healedAt;
    if (emittersFlushedMs !== null) {
      const acked = new Set(emitters.flatMap((e) => [...e.acked]));
      const sinksDone = sinks.every((s) => [...acked].every((uid) => s.delivered.has(uid)));
      if (sinksDone && Date.now() - lastRevocationCheck > 1_000) {
        lastRevocationCheck = Date.now();
        const { missing } = await unheardLogouts({ acked, registry, watcher, liveUrl });
        if (missing.length === 0) return { complete: true, ms: Date.now() - healedAt, emittersFlushedMs };
      }
    }
    await sleep(250);
  }
  return { complete: false, ms: Date.now() - healedAt, emittersFlushedMs };
}

async function destinationsState(url) {
  try {
    const res = await request(`${url}/admin/destinations`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return res.statusCode === 200 ? await res.body.json() : { status: res.statusCode };
  } catch (err) {
    return { error: err.message };
  }
}
