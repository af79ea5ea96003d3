// The IPC between the supervisor (cluster primary) and the relay processes (cluster workers). Every
// message carries `kcr`, so that messages of Node's own cluster protocol are never mistaken for ours.
// A read of the whole replica (`gather`) is asked by the process whose HTTP request needs it; the
// primary asks every ready process (`collect`), the asker included, and answers with what they said.

/** What one process can be asked for: its metrics, latest logouts, destinations (a replay job is read from the store). */
export type GatherKind = 'metrics' | 'logouts' | 'destinations';

export type ToPrimary =
  /** A process started and asks which slot it fills (its index: consumer name, uid bits). */
  | { kcr: 'hello' }
  | { kcr: 'ready'; port: number }
  | { kcr: 'gather'; id: number; kind: GatherKind; arg?: unknown }
  | { kcr: 'collected'; id: number; value?: unknown; error?: string };

export type ToWorker =
  | { kcr: 'slot'; index: number; count: number }
  | { kcr: 'collect'; id: number; kind: GatherKind; arg?: unknown }
  /** Metrics: one value, the replica's metrics merged by the primary; other kinds: one per process. */
  | { kcr: 'gathered'; id: number; values?: unknown[]; error?: string }
  | { kcr: 'shutdown' };

export function isMessage<T extends { kcr: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { kcr?: unknown }).kcr === 'string';
}
