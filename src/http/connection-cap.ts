// At most `max` open connections per remote address: a client that opens sockets and trickles
// requests cannot take every socket of the server. The cap applies to the TCP peer, before any
// HTTP is read (X-Forwarded-For is not known yet): behind a load balancer that is the balancer.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export function capConnectionsPerAddress(server: Server, max: number, onRefused: (address: string) => void): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      onRefused(address);
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
