// The decode stage: one body in either emitter format, as bytes, to the fields of one Keycloak
// event. Pure: the sender's decode settings come from the caller. The validate stage
// (src/validate/) then completes the fields into the canonical event.
import type { BodyFormat } from '../event/canonical.js';
import { charsetOf, decodeBodyText } from './charset.js';
import type { DecodedFields } from './decoded-fields.js';
import { decodeFlatBuffer } from './flatbuffer/decode-flatbuffer.js';
import { parseJsonBodyFast } from './json-body-fast.js';
import { decodeJsonEvent, readFlatBufferWrapper } from './json-event.js';
import type { DecodeSettings } from './sender-settings.js';

export interface BodyContext {
  /** The sender's tables, Keycloak release and default charset (SenderSettings). */
  settings: Pick<DecodeSettings, 'profile' | 'keycloak' | 'bodyCharset'>;
  /** The Content-Type header as sent: its charset, when present, is honoured. */
  contentType?: string | undefined;
}

export type DecodedBody = DecodedFields & { format: BodyFormat };

/**
 * Throws KcrError only: KCR_ERR_BODY_NOT_JSON when the body is not a JSON object (never
 * quarantined), a quarantinable code for any other undecodable body.
 */
export function decodeBody(body: Buffer, ctx: BodyContext): DecodedBody {
  const { settings } = ctx;
  const obj = parseJsonBodyFast(decodeBodyText(body, charsetOf(ctx.contentType), settings.bodyCharset));
  const wrapper = readFlatBufferWrapper(obj);
  if (wrapper === null) return { ...decodeJsonEvent(obj), format: 'json' };
  return { ...decodeFlatBuffer(wrapper, settings), format: 'flatbuffer' };
}
