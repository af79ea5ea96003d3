// An HTTP server on 127.0.0.1 that a test can take down hard (every connection cut) and bring back
// up on the same port: what the sink and the Keycloak stand-in serve from.
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class LoopbackServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  /** 0 until the first start (then a free port, kept by later starts). */
  port = 0;

  constructor(private readonly listener: RequestListener) {}

  async start(): Promise<void> {
    const server = createServer(this.listener);
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
