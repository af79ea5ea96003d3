// X-Keycloak-Signature on its own: lowercase hex HMAC of the raw bytes, SHA-256, SHA-1 only when
// PHASETWO_ALGORITHMS allows it, any of the secrets of a rotation.
import { createHmac } from 'node:crypto';
import { expect, it } from 'vitest';
import { PhaseTwoSignature } from '../../src/http/auth/phasetwo-signature.js';

const OLD = 'p2-webhook-secret-old';
const NEW = 'p2-webhook-secret-new';
const body = Buffer.from('{"id":"e-1","type":"access.LOGIN","username":"zoé.müller"}', 'utf8');
const hmac = (algorithm: string, key: string, bytes = body) => createHmac(algorithm, key).update(bytes).digest('hex');

it('accepts HmacSHA256 under any secret of a rotation, and nothing else by default', () => {
  const check = new PhaseTwoSignature([OLD, NEW], ['HmacSHA256']);
  expect(check.verify(hmac('sha256', OLD), body)).toEqual({ ok: true });
  expect(check.verify(hmac('sha256', NEW), body)).toEqual({ ok: true });
  expect(check.verify(hmac('sha256', 'another-secret-entirely'), body)).toEqual({ ok: false, why: 'no secret gives this HmacSHA256' });
  expect(check.verify(hmac('sha256', NEW, Buffer.from(body.toString('latin1'), 'utf8')), body).ok).toBe(false);
  expect(check.verify(hmac('sha1', NEW), body)).toEqual({ ok: false, why: 'HmacSHA1 is not in PHASETWO_ALGORITHMS' });
});

it('accepts HmacSHA1 when PHASETWO_ALGORITHMS names it', () => {
  const check = new PhaseTwoSignature([NEW], ['HmacSHA256', 'HmacSHA1']);
  expect(check.verify(hmac('sha1', NEW), body)).toEqual({ ok: true });
  expect(check.verify(hmac('sha256', NEW), body)).toEqual({ ok: true });
});

it.each([
  ['a prefix', `sha256=${hmac('sha256', NEW)}`],
  ['too short', hmac('sha256', NEW).slice(0, 62)],
  ['not hex', `${hmac('sha256', NEW).slice(0, 63)}g`],
  ['empty', ''],
])('refuses a signature with %s', (_name, value) => {
  expect(new PhaseTwoSignature([NEW], ['HmacSHA256', 'HmacSHA1']).verify(value, body)).toEqual({
    ok: false,
    why: 'not 40 or 64 hex digits',
  });
});
