#!/usr/bin/env node
// A webhook receiver for trying the relay out (docker-compose.yml's `sink`): verifies each delivery's
// Standard Webhooks signature with SINK_SECRET, written here from the specification rather than
// with the relay's own code, and prints what it verified. Answers 200, or 401 to a bad signature.
//   SINK_SECRET=whsec_… PORT=9000 node scripts/demo-sink.mjs
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.SINK_SECRET;
if (!secret?.startsWith('whsec_')) {
  process.stderr.write("demo-sink: set SINK_SECRET to the destination's secret (whsec_…)\n");
  process.exit(64);
}
const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
const port = Number(process.env.PORT ?? 9000);
const TOLERANCE_S = 300;

function verified(headers, body) {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  if (!id || !Number.isInteger(timestamp)) return 'missing webhook-id or webhook-timestamp';
  if (Math.abs(Date.now() / 1000 - timestamp) > TOLERANCE_S) return 'timestamp out of tolerance';
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // The header is a space-separated list of `v1,<base64>`: any one matching is enough.
  const ok = String(headers['webhook-signature'] ?? '')
    .split(' ')
    .map((s) => Buffer.from(s.replace(/^v1,/, ''), 'base64'))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
  return ok ? null : 'signature does not match';
}

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const problem = verified(req.headers, body);
    if (problem) {
      process.stdout.write(`REJECTED ${req.headers['webhook-id'] ?? '?'}: ${problem}\n`);
      return res.writeHead(401).end();
    }
    const e = JSON.parse(body);
    const what = e.kind === 'admin' ? `${e.operationType} ${e.resourceType} ${e.resourcePath}` : e.type;
    process.stdout.write(
      `verified ${e.uid} ${what} realm=${e.realmId} user=${e.userId ?? e.authDetails?.userId ?? '-'} from ${e.source.node} (${e.source.format})\n`,
    );
    res.writeHead(200).end();
  });
}).listen(port, () => process.stdout.write(`demo-sink: listening on :${port}, verifying Standard Webhooks signatures\n`));
