// The validate stage: decoded fields to the canonical event (docs/contract.md) the store keeps. A
// body without a uid gets one from the relay; the uid's time must be plausible (./uid-time.ts).
// Pure: the clock and the uid assigner come from the caller.
import type { DecodedBody } from '../decode/index.js';
import type { CanonicalEvent } from '../event/canonical.js';
import { uidFields, uidToDecimal } from '../event/snowflake.js';
import { checkUidTime } from './uid-time.js';

export interface ValidateContext {
  /** Basic-auth username: the Keycloak node's host name. */
  node: string;
  nowMs: number;
  /** MAX_CLOCK_SKEW: how far in the future a uid's time may be. */
  maxFutureSkewMs: number;
  /** Called only when the body has no uid. */
  assignUid: () => bigint;
}

/** Throws KCR_ERR_UID_FUTURE / KCR_ERR_UID_BEFORE_EPOCH (quarantinable) for an implausible uid time. */
export function validateEvent(decoded: DecodedBody, ctx: ValidateContext): CanonicalEvent {
  const uidAssigned = decoded.uid === null;
  const uid = decoded.uid ?? ctx.assignUid();
  checkUidTime(uid, ctx.nowMs, ctx.maxFutureSkewMs);
  const { timeMs, datacenterId, keycloakId, sequence } = uidFields(uid);

  // Field order follows docs/contract.md: forwarded and inspected JSON reads in that order.
  return {
    uid: uidToDecimal(uid),
    kind: decoded.kind,
    time: decoded.time,
    emittedAt: new Date(timeMs).toISOString(),
    type: decoded.type,
    operationType: decoded.operationType,
    resourceType: decoded.resourceType,
    resourcePath: decoded.resourcePath,
    representation: decoded.representation,
    realmId: decoded.realmId,
    clientId: decoded.clientId,
    userId: decoded.userId,
    sessionId: decoded.sessionId,
    ipAddress: decoded.ipAddress,
    error: decoded.error,
    details: decoded.details,
    authDetails: decoded.authDetails,
    source: {
      node: ctx.node,
      format: decoded.format,
      schema: decoded.schema,
      keycloak: decoded.keycloak,
      enumBytes: decoded.enumBytes,
      uidAssigned,
      datacenterId,
      keycloakId,
      sequence,
      ...decoded.origin,
    },
    receivedAt: new Date(ctx.nowMs).toISOString(),
    late: false,
  };
}
