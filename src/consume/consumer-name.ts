// This replica's name in every consumer group. Stable across restarts of the process (no pid in
// it), so that a restarted replica resumes its own pending entries at once instead of leaving
// them to be claimed after FORWARD_CLAIM_IDLE; distinct between live replicas, through the host
// name (a container's or pod's) and RELAY_WORKER_ID (which replicas on one host must not share).
import { hostname } from 'node:os';

export function consumerName(workerId: number, host: string = hostname()): string {
  return `${host}-w${workerId}`;
}
