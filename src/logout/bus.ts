// Where logout messages go: a store capability of its own beside the EventStore, implemented over
// Redis (pub/sub + revocation keys) and in-process for the embedded store (SQLite + SSE).
import type { LogoutMessage } from './message.js';
import type { Revocation, RevocationClaims, StoredRevocation } from './revocation.js';

export interface LogoutBus {
  /**
   * Records each message's revocation (keeping the latest notBefore, expiring REVOCATION_TTL after
   * it), then publishes it: a subscriber that re-checks on receipt already sees the state.
   * Throws when the store is unreachable; the caller retries, so this must be idempotent.
   */
  publish(messages: readonly LogoutMessage[], nowMs: number): Promise<void>;
  /**
   * As publish, for one message, unless `once.key` was used before (a replayed back-channel logout
   * token): marker, revocation and message in one atomic step. False, with nothing done, on a replay.
   * The marker is kept until `once.expiresAtMs`.
   */
  publishOnce(message: LogoutMessage, once: OnceMarker, nowMs: number): Promise<boolean>;
  /** Whether a token with these claims is revoked, in one store round trip. */
  isRevoked(claims: RevocationClaims): Promise<boolean>;
  /** The revocations of a realm still in force, the latest notBefore first, at most `limit` (GET /admin/revocations). */
  listRevocations(realmId: string, limit: number): Promise<StoredRevocation[]>;
  /**
   * Removes one revocation, the operator's repair of a wrong one (a stored notBefore otherwise only
   * rises): the one removed, or null when none was in force.
   */
  liftRevocation(realmId: string, scope: string): Promise<Revocation | null>;
  close(): Promise<void>;
}

/** A key that may be used once until it expires: a logout token's issuer and jti, digested. */
export interface OnceMarker {
  key: string;
  expiresAtMs: number;
}

/** A message with its position in the replay log (the SSE event id is the message id). */
export interface LoggedMessage {
  seq: number;
  message: LogoutMessage;
}

export type Replay =
  | { status: 'resumed'; messages: LoggedMessage[] }
  /** The id is no longer (or never was) in the bounded log: what follows may miss messages. */
  | { status: 'gap'; messages: LoggedMessage[] };

/** What GET /logouts needs: live messages and a bounded replay log (embedded mode). */
export interface LogoutStream {
  /** Calls `listener` for every message published from now on; returns the unsubscribe function. */
  subscribe(listener: (logged: LoggedMessage) => void): () => void;
  /** Messages after the one with id `afterId` (null: none, start live), oldest first. */
  replay(afterId: string | null): Replay;
}
