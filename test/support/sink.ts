// A real HTTP destination on loopback whose behaviour each test scripts: status, headers, delay;
// it can go down and come back up on the same port.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Behaviour {
  status: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

export class Sink {
  readonly received: Received[] = [];
  behave: (req: Received, index: number) => Behaviour = () => ({ status: 200 });
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** uids (webhook-id) of the requests answered 2xx, in arrival order. */
  delivered: string[] = [];

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        const index = this.received.push(received) - 1;
        const b = this.behave(received, index);
        const answer = (r: ServerResponse): void => {
          if (b.status >= 200 && b.status < 300) this.delivered.push(String(req.headers['webhook-id']));
          r.writeHead(b.status, b.headers).end();
        };
        if (b.delayMs) setTimeout(() => !res.destroyed && answer(res), b.delayMs);
        else answer(res);
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Goes down hard: listener closed and every open connection destroyed. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms`);
}
