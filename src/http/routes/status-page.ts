// GET /: the operator's status page (src/http/status-page/), static files read once at start-up.
// The page holds no data: it asks for the admin token and reads the admin API, so it is served to
// anyone, under a Content-Security-Policy that lets it load nothing but its own files.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { textBody } from '../schemas.js';

const DIR = new URL('../status-page/', import.meta.url);

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/status-page/status.js': { file: 'status.js', type: 'text/javascript; charset=utf-8' },
  '/status-page/charts.js': { file: 'charts.js', type: 'text/javascript; charset=utf-8' },
  '/status-page/status.css': { file: 'status.css', type: 'text/css; charset=utf-8' },
  '/status-page/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

export function statusPageRoutes(app: FastifyInstance): void {
  for (const [url, { file, type }] of Object.entries(FILES)) {
    const content = readFileSync(new URL(file, DIR));
    const schema = {
      summary: `Status page: ${file}`,
      tags: ['status page'],
      response: { 200: textBody(type, 'Static file, the same for everyone') },
    };
    app.get(url, { schema }, async (_request, reply) =>
      reply
        .header('content-type', type)
        .header('content-security-policy', CSP)
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-cache')
        .send(content),
    );
  }
}
