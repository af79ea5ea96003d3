// decodeFlatBuffer on the wrapper and on field contents the golden payloads do not cover.
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Event } from '../../../../generated/emitter2020/event.js';
import { Tuple } from '../../../../generated/emitter2020/tuple.js';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { base64, fb, golden, kcrCode, kcrMessage } from '../../../support/flatbuffer-goldens.js';

interface EventSpec {
  uid?: bigint;
  time?: bigint;
  realmId?: string | Uint8Array;
  details?: [string | null, string | null][];
}

/** An Event built with the flatbuffers JS Builder and the generated builder methods. */
function event(spec: EventSpec): string {
  const b = new Builder(256);
  const realm = spec.realmId === undefined ? 0 : b.createString(spec.realmId);
  const tuples = (spec.details ?? []).map(([key, value]) => {
    const k = key === null ? 0 : b.createString(key);
    const v = value === null ? 0 : b.createString(value);
    Tuple.startTuple(b);
    if (k) Tuple.addKey(b, k);
    if (v) Tuple.addValue(b, v);
    return Tuple.endTuple(b);
  });
  const details = spec.details ? Event.createDetailsVector(b, tuples) : 0;
  Event.startEvent(b);
  if (spec.uid !== undefined) Event.addUid(b, spec.uid);
  if (spec.time !== undefined) Event.addTime(b, spec.time);
  if (realm) Event.addRealmId(b, realm);
  if (details) Event.addDetails(b, details);
  b.finish(Event.endEvent(b));
  return base64(b.asUint8Array());
}

const decode = (obj: string) => decodeFlatBuffer({ type: 'Event', obj }, fb('emitter-2020'));

describe('decodeFlatBuffer: the wrapper', () => {
  const obj = golden('emitter-2020--event-logout').obj;

  it.each([
    ['"event" (wrong case)', 'event', /got "event"/],
    ['a number', 42, /got 42/],
    ['null', null, /got null/],
    ['missing', undefined, /got nothing/],
  ])('refuses a type that is %s', (_name, type, reason) => {
    expect(kcrCode(() => decodeFlatBuffer({ type, obj }, fb('emitter-2020')))).toBe('KCR_ERR_WRAPPER_TYPE');
    expect(kcrMessage(() => decodeFlatBuffer({ type, obj }, fb('emitter-2020')))).toMatch(reason);
  });

  it('refuses an obj that is not a string', () => {
    expect(kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: 42 }, fb('emitter-2020')))).toBe('KCR_ERR_BASE64');
    expect(kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: null }, fb('emitter-2020')))).toBe('KCR_ERR_BASE64');
  });

  it('refuses lenient base64 and an empty buffer', () => {
    expect(kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: obj.replace(/=+$/, '') }, fb('emitter-2020')))).toBe('KCR_ERR_BASE64');
    expect(kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: '' }, fb('emitter-2020')))).toBe('KCR_ERR_FLATBUFFER');
  });

  it('reads an Event with the configured profile whatever it is: Event tables never changed', () => {
    expect(decodeFlatBuffer({ type: 'Event', obj }, fb('emitter-2018'))).toMatchObject({ schema: 'emitter-2018', type: 'LOGOUT' });
  });

  it('verifies against the kind the wrapper names', () => {
    // An Event read as an AdminEvent: its 1-byte type lands where a string offset is expected.
    expect(kcrCode(() => decodeFlatBuffer({ type: 'AdminEvent', obj }, fb('emitter-2020')))).toBe('KCR_ERR_FLATBUFFER');
  });
});

describe('decodeFlatBuffer: fields', () => {
  it('treats an absent or zero uid and time as missing', () => {
    expect(decode(event({ realmId: 'corp' }))).toMatchObject({ uid: null, time: null, type: 'LOGIN', details: {} });
    expect(decode(event({ uid: 0n, time: 0n }))).toMatchObject({ uid: null, time: null });
  });

  it('passes a negative uid through for the caller to judge', () => {
    expect(decode(event({ uid: -5n })).uid).toBe(-5n);
  });

  it('refuses a time no JS number can hold exactly', () => {
    expect(decode(event({ time: 2n ** 53n - 1n })).time).toBe(Number.MAX_SAFE_INTEGER);
    expect(kcrMessage(() => decode(event({ time: 2n ** 53n })))).toMatch(/Field "time" must be an integer \(epoch milliseconds\)/);
    expect(kcrCode(() => decode(event({ time: -(2n ** 60n) })))).toBe('KCR_ERR_FIELD_TYPE');
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    const obj = event({ realmId: new Uint8Array([0x63, 0xff, 0x72]) });
    expect(kcrCode(() => decode(obj))).toBe('KCR_ERR_FIELD_TYPE');
    expect(kcrMessage(() => decode(obj))).toMatch(/Field "realmId" must be valid UTF-8/);
  });

  it('keeps a leading BOM and other unusual but valid text as it is', () => {
    expect(decode(event({ realmId: '\uFEFFcorp\u0000x' })).realmId).toBe('\uFEFFcorp\u0000x');
  });

  it('reads details: null values, later duplicates win, "__proto__" stays a plain key', () => {
    const details = decode(
      event({
        details: [
          ['a', '1'],
          ['b', null],
          ['a', '2'],
          ['__proto__', 'x'],
        ],
      }),
    ).details;
    expect(details).toEqual({ a: '2', b: null, ['__proto__']: 'x' });
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
    expect(Object.hasOwn(details, '__proto__')).toBe(true);
  });

  it('refuses a details Tuple without a key', () => {
    expect(
      kcrMessage(() =>
        decode(
          event({
            details: [
              ['a', '1'],
              [null, 'v'],
            ],
          }),
        ),
      ),
    ).toMatch(/Field "details\[1\].key" must be a string/);
  });
});
