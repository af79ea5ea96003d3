// The baseline: the relay's own fastify (same version, same process layout: a child process of
// its own) with one POST route that answers 200 and does nothing else. It is configured like the
// relay's default where that costs per request (pino at info without fastify's request lines, the
// body read raw as a Buffer for any content type), so that the ratio measures what the relay's
// work costs.
import Fastify, { LogController } from 'fastify';

const app = Fastify({
  logger: { level: process.env.LOG_LEVEL ?? 'info' },
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 1_048_576,
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/events', async () => ({ status: 'accepted' }));
app.get('/healthz', async () => ({ status: 'ok' }));

const shutdown = () => app.close().then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
