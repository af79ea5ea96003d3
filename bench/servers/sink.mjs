// A webhook destination for the drain benchmark: plain node:http answering 200 to every POST,
// counting deliveries and distinct `webhook-id`s (a redelivery must not count twice), and noting
// when the first and the latest new id arrived so the drain rate is measured where it happens.
import { createServer } from 'node:http';

let ids = new Set();
let total = 0;
let firstAt = null;
let lastNewAt = null;

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/hook') {
    // The body is read (a real receiver would), then dropped.
    req.on('data', () => {});
    req.on('end', () => {
      total += 1;
      const id = req.headers['webhook-id'];
      if (id !== undefined && !ids.has(id)) {
        ids.add(id);
        lastNewAt = Date.now();
        firstAt ??= lastNewAt;
      }
      res.writeHead(200, { 'content-length': '0' }).end();
    });
    return;
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ distinct: ids.size, total, firstAt, lastNewAt }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    ids = new Set();
    total = 0;
    firstAt = null;
    lastNewAt = null;
    req.resume();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'GET' && req.url === '/healthz') {
    res.writeHead(200).end('ok');
    return;
  }
  req.resume();
  res.writeHead(404).end();
});
server.keepAliveTimeout = 60_000;

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
server.listen(Number(process.env.PORT), '127.0.0.1');
