// The store stage's contract: what ingest (and later forwarding and logout publishing) needs from
// storage. Implemented by the Redis store (production, many replicas) and the embedded store.
import type { CanonicalEvent } from '../event/canonical.js';

/** An event the ring buffer's bound pushed out before `destination` had received it. */
export interface LostEvent {
  destination: string;
  uid: string;
}

export type AppendOutcome =
  | { status: 'accepted'; late: boolean; evicted: number; lost: LostEvent[] }
  | { status: 'duplicate' }
  /** Buffer full under BUFFER_OVERFLOW=reject: nothing stored, the caller answers 503. */
  | { status: 'full'; oldestUid: string };

export type LookupOutcome =
  | { status: 'found'; event: CanonicalEvent }
  /** Accepted once, but no longer in the ring buffer. */
  | { status: 'evicted' }
  | { status: 'unknown' };

/** An authenticated body that could not be decoded: kept whole so that nothing is lost. */
export interface QuarantineRecord {
  node: string;
  receivedAt: string;
  remoteAddress: string;
  errorCode: string;
  errorMessage: string;
  body: Buffer;
}

export interface StoreStatus {
  store: 'redis' | 'redis-cluster' | 'embedded';
  reachable: boolean;
  detail?: string;
}

export interface EventStore {
  /** Atomically: dedup check on the uid, record it, append the event to the ring buffer. */
  append(event: CanonicalEvent, nowMs: number): Promise<AppendOutcome>;
  quarantine(record: QuarantineRecord): Promise<void>;
  lookup(uid: string): Promise<LookupOutcome>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
}

export interface BufferPolicy {
  capacity: number;
  overflow: 'drop-oldest' | 'reject';
  dedupWindowMs: number;
}
