// One body in, one canonical event out. Pure: the clock, the uid assigner and the sender's decode
// settings come from the caller, so the same body and context always give the same event.
import type { BodyFormat, CanonicalEvent } from '../event/canonical.js';
import { uidFields, uidToDecimal } from '../event/snowflake.js';
import { checkUidTime } from '../validate/uid-time.js';
import { charsetOf, decodeBodyText } from './charset.js';
import { decodeFlatBuffer } from './flatbuffer/decode-flatbuffer.js';
import { parseJsonBody } from './json-body.js';
import { decodeJsonEvent, readFlatBufferWrapper } from './json-event.js';
import type { DecodeSettings } from './sender-settings.js';

export interface DecodeContext {
  /** The sender's tables, Keycloak release and default charset (SenderSettings). */
  settings: Pick<DecodeSettings, 'profile' | 'keycloak' | 'bodyCharset'>;
  /** The Content-Type header as sent: its charset, when present, is honoured. */
  contentType?: string | undefined;
  /** Basic-auth username: the Keycloak node's host name. */
  node: string;
  nowMs: number;
  /** MAX_CLOCK_SKEW: how far in the future a uid's time may be. */
  maxFutureSkewMs: number;
  /** Called only when the body has no uid. */
  assignUid: () => bigint;
}

/**
 * Decodes a body in either emitter format. Throws KcrError only: KCR_ERR_BODY_NOT_JSON when the body
 * is not a JSON object (never quarantined), a quarantinable code for any other undecodable body.
 */
export function decodeEvent(body: Buffer, ctx: DecodeContext): CanonicalEvent {
  const { settings } = ctx;
  const obj = parseJsonBody(decodeBodyText(body, charsetOf(ctx.contentType), settings.bodyCharset));
  const wrapper = readFlatBufferWrapper(obj);
  const format: BodyFormat = wrapper === null ? 'json' : 'flatbuffer';
  const decoded = wrapper === null ? decodeJsonEvent(obj) : decodeFlatBuffer(wrapper, settings);

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
      format,
      schema: decoded.schema,
      keycloak: decoded.keycloak,
      enumBytes: decoded.enumBytes,
      uidAssigned,
      datacenterId,
      keycloakId,
      sequence,
    },
    receivedAt: new Date(ctx.nowMs).toISOString(),
    late: false,
  };
}
