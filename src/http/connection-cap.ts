// At most `max` open connections per remote address: a client that opens sockets and trickles
// requests cannot take every socket of the server. The cap applies to the TCP peer, before any
// HTTP is read (X-Forwarded-For is not known yet). A trusted proxy (TRUST_PROXY) is exempt: a load
// balancer is one address for every client behind it, and it bounds its own connections.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { LineBudget } from '../log.js';

export function capConnectionsPerAddress(
  server: Server,
  max: number,
  isProxy: (address: string) => boolean,
  onRefused: (address: string) => void,
): void {
  if (max <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (isProxy(address)) return;
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

/**
 * A refused connection is a client seeing "other side closed" with nothing in the relay's log
 * unless it says so; one warning per interval (with the count since the last) keeps a client
 * that keeps retrying from flooding the log.
 */
export function refusalWarnings(logger: FastifyBaseLogger, max: number, intervalMs = 60_000): (address: string) => void {
  const lines = new LineBudget(intervalMs);
  return (address) => {
    const refused = lines.add();
    if (refused === null) return;
    logger.warn(
      { address, refused },
      `closed ${refused} connection(s) at once: ${address} already held ${max} (MAX_CONNECTIONS_PER_ADDRESS; a load balancer belongs in TRUST_PROXY)`,
    );
  };
}
