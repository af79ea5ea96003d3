// With WORKERS each relay process has its own worker per destination: its own circuit breaker, its
// own connection (a webhook's keep-alive pool, an AMQP channel, a NATS or PostgreSQL connection) and
// its own last failure. The replica's view shows the worst of them, so that one process's open
// circuit or lost connection is never hidden by another process's good one.
import type { DestinationInfo } from '../metrics/summary.js';

const CIRCUIT_ORDER: readonly DestinationInfo['circuit'][] = ['closed', 'half-open', 'open'];
// A process that has not written yet (idle) says nothing of the link; one that connects, less than one that is up.
const CONNECTION_ORDER: readonly DestinationInfo['connection']['state'][] = ['idle', 'up', 'connecting', 'down'];

const worse = <T>(order: readonly T[], a: T, b: T): boolean => order.indexOf(b) > order.indexOf(a);

/** Every process's Forwarder.describe(), merged per destination (in the first answer's order). */
export function mergeDestinations(perProcess: readonly DestinationInfo[][]): DestinationInfo[] {
  const merged = new Map<string, DestinationInfo>();
  for (const infos of perProcess) {
    for (const info of infos) {
      const known = merged.get(info.name);
      if (!known) {
        merged.set(info.name, info);
        continue;
      }
      merged.set(info.name, {
        ...known,
        circuit: worse(CIRCUIT_ORDER, known.circuit, info.circuit) ? info.circuit : known.circuit,
        connection: worse(CONNECTION_ORDER, known.connection.state, info.connection.state) ? info.connection : known.connection,
        lastFailure:
          info.lastFailure && (!known.lastFailure || Date.parse(info.lastFailure.at) > Date.parse(known.lastFailure.at))
            ? info.lastFailure
            : known.lastFailure,
      });
    }
  }
  return [...merged.values()];
}
