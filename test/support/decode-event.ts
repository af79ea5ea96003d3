// The decode and validate stages run as ingest runs them: body bytes to the canonical event.
import { decodeBody, type BodyContext } from '../../src/decode/index.js';
import type { CanonicalEvent } from '../../src/event/canonical.js';
import { validateEvent, type ValidateContext } from '../../src/validate/index.js';

export type DecodeContext = BodyContext & ValidateContext;

export function decodeEvent(body: Buffer, ctx: DecodeContext): CanonicalEvent {
  return validateEvent(decodeBody(body, ctx), ctx);
}
