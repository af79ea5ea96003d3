// A real HTTP destination on loopback whose behaviour each test scripts: status, headers, delay;
// it can go down and come back up on the same port.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.js';

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
  private readonly server = new LoopbackServer((req, res) => {
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

  get port(): number {
    return this.server.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** uids (webhook-id) of the requests answered 2xx, in arrival order. */
  delivered: string[] = [];

  start(): Promise<void> {
    return this.server.start();
  }

  /** Goes down hard: listener closed and every open connection destroyed. */
  stop(): Promise<void> {
    return this.server.stop();
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
