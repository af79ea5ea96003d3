// This replica's name in every consumer group. Stable across restarts of the process (no pid in
// it), so that a restarted replica resumes its own pending entries at once instead of leaving
// them to be claimed after FORWARD_CLAIM_IDLE; distinct between live replicas, through the host
// name (a container's or pod's) and RELAY_WORKER_ID (which replicas on one host must not share).
// With WORKERS, each relay process of the replica is a consumer of its own, named by its index
// (a restarted process gets its index back, so its pending entries too); process 0 keeps the
// replica's name, so that turning WORKERS on leaves nothing waiting for FORWARD_CLAIM_IDLE.
import { hostname } from 'node:os';

export function consumerName(workerId: number, host: string = hostname(), processIndex = 0): string {
  return processIndex === 0 ? `${host}-w${workerId}` : `${host}-w${workerId}-p${processIndex}`;
}
