// A read-only npm registry mirror on loopback, for `docker build --network host` (build-image.sh):
// `npm ci` inside the build fetches from it over plain HTTP, and it fetches from the registry this
// machine's npm uses, over TLS that the host trusts. No certificate of the host goes into an image.
// Metadata is passed on with its tarball addresses rewritten to the mirror; tarballs are streamed as
// they come. npm checks every tarball against package-lock.json's integrity, so the mirror needs no trust.
// Usage: node npm-mirror.mjs <port> <upstream registry URL>; prints "listening <url>" once ready.
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const [portArg, upstreamArg] = process.argv.slice(2);
const upstream = new URL(upstreamArg ?? 'https://registry.npmjs.org/');
if (!upstream.pathname.endsWith('/')) upstream.pathname += '/';
const port = Number(portArg ?? 4873);
const self = `http://127.0.0.1:${port}/`;
let served = 0;

const server = createServer(async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // Publishing, audit and the like: nothing a build needs.
    res.writeHead(405).end();
    return;
  }
  try {
    const answer = await fetch(new URL(req.url.slice(1), upstream), {
      headers: { accept: req.headers.accept ?? '*/*' },
      signal: AbortSignal.timeout(120_000),
    });
    const type = answer.headers.get('content-type') ?? 'application/octet-stream';
    served++;
    if (type.includes('json')) {
      const body = (await answer.text()).replaceAll(upstream.href, self);
      res.writeHead(answer.status, { 'content-type': type }).end(req.method === 'HEAD' ? undefined : body);
    } else {
      res.writeHead(answer.status, { 'content-type': type });
      if (answer.body && req.method === 'GET') await pipeline(Readable.fromWeb(answer.body), res);
      else res.end();
    }
  } catch (err) {
    process.stderr.write(`npm-mirror: ${req.url}: ${err.message}\n`);
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
});

server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${self} (upstream ${upstream.href})\n`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    process.stdout.write(`npm-mirror: ${served} requests served\n`);
    server.close();
    server.closeAllConnections();
  });
}
