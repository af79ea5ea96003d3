// The baselines: the relay's own fastify (same version, same process layout: a child process of
// its own) with one POST route, configured like the relay's default where that costs per request
// (pino at info without fastify's request lines, the body read raw as a Buffer for any content
// type), so that a ratio measures what the relay's work costs. Two routes, one configuration:
// - without REDIS_URL, the bare route: answers 200 and does nothing else;
// - with REDIS_URL, the Redis append floor: appends the raw body to one stream (XADD, ioredis
//   auto-pipelining: one write per event-loop turn, as the relay's turn batch) and answers 200 once
//   Redis confirmed. No dedup, no validation, no bound: the least any relay that stores each event
//   in Redis before answering must do, so its ratio is the ceiling of the relay's on this machine.
import Fastify, { LogController } from 'fastify';
import { Redis } from 'ioredis';

const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL, { enableAutoPipelining: true }) : null;
// The bench hands its children no KEY_PREFIX (bench/lib/procs.mjs): one fixed name, beside the relays' prefixes.
const STREAM = 'bfloor:events';

const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 1_048_576,
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post(
  '/events',
  redis
    ? async (request) => {
        await redis.xadd(STREAM, '*', 'event', request.body);
        return { status: 'accepted' };
      }
    : async () => ({ status: 'accepted' }),
);
app.get('/healthz', async () => ({ status: 'ok' }));

const shutdown = () =>
  app
    .close()
    .then(() => redis?.quit())
    .then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
