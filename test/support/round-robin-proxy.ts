// A loopback TCP load balancer in front of several relay replicas: each new connection goes to the
// next backend in turn, and a backend that refuses the connection (a killed replica) is skipped, as
// a layer-4 balancer with connect-failure retry does. Clients that want one request per backend
// turn send `Connection: close`.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './redis-server.js';

export class RoundRobinProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  port = 0;
  /** Connections handed to each backend, by its index in `backendPorts`. */
  readonly served: number[];

  constructor(private readonly backendPorts: number[]) {
    this.served = backendPorts.map(() => 0);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const server = createServer((client) => {
      client.pause();
      this.track(client);
      void this.connectNext(client, this.backendPorts.length);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Tries backends in turn, at most `tries` of them; the client is dropped when all refuse. */
  private async connectNext(client: Socket, tries: number): Promise<void> {
    for (let i = 0; i < tries && !client.destroyed; i++) {
      const index = this.next;
      this.next = (this.next + 1) % this.backendPorts.length;
      const upstream = await new Promise<Socket | null>((resolve) => {
        const s = createConnection({ port: this.backendPorts[index]!, host: '127.0.0.1' });
        s.once('connect', () => resolve(s));
        s.once('error', () => {
          s.destroy();
          resolve(null);
        });
      });
      if (!upstream) continue;
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      this.served[index]! += 1;
      this.track(upstream);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
      return;
    }
    client.destroy();
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }
}
