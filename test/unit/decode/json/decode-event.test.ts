import { beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFlatBuffer, type FlatBufferFields } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { type DecodeContext, decodeEvent } from '../../../support/decode-event.js';
import { UidAssigner, uidFields, uidToDecimal } from '../../../../src/event/snowflake.js';
import * as F from './fixtures.js';
import { kcrCode } from '../../../support/kcr-error.js';
import { decodeSettings } from '../../../support/decode-settings.js';

// The FlatBuffer decoder has its own tests: here it only has to be called with the wrapper.
vi.mock('../../../../src/decode/flatbuffer/decode-flatbuffer.js', () => ({ decodeFlatBuffer: vi.fn() }));

const ASSIGNED = new UidAssigner({ workerId: 1, now: () => F.NOW_2025 }).next();
const ctx = (over: Partial<DecodeContext> = {}): DecodeContext => ({
  settings: decodeSettings('emitter-2020'),
  node: 'kc-node-1',
  nowMs: F.NOW_2025,
  maxFutureSkewMs: 300_000,
  assignUid: () => ASSIGNED,
  ...over,
});

const body = (json: string) => Buffer.from(json, 'latin1');

describe('decodeEvent: JSON bodies', () => {
  it('builds the canonical event of an emitter-2018 Event', () => {
    expect(decodeEvent(body(F.EVENT_2018), ctx())).toEqual({
      uid: '515092590414102528',
      kind: 'event',
      time: 1542878043512,
      emittedAt: '2018-11-22T09:14:03.512Z',
      type: 'LOGOUT',
      operationType: null,
      resourceType: null,
      resourcePath: null,
      representation: null,
      realmId: 'master',
      clientId: 'account',
      userId: '4c5e5f2d-7a3b-4e1f-9b1c-2d3e4f5a6b7c',
      sessionId: '9f8e7d6c-5b4a-4321-8fed-cba987654321',
      ipAddress: '10.20.30.40',
      error: null,
      details: {},
      authDetails: null,
      source: {
        node: 'kc-node-1',
        format: 'json',
        schema: null,
        keycloak: null,
        enumBytes: null,
        uidAssigned: false,
        datacenterId: 1,
        keycloakId: 3,
        sequence: 0,
      },
      receivedAt: '2025-03-01T10:00:05.000Z',
      late: false,
    });
  });

  it('decodes every historical shape', () => {
    const shapes = [
      F.EVENT_2020,
      F.EVENT_2020_EMPTY_DETAILS,
      F.ADMIN_2018,
      F.ADMIN_2020,
      F.EVENT_KC18,
      F.ADMIN_KC18,
      F.EVENT_KC26,
      F.ADMIN_KC26,
    ];
    const events = shapes.map((json) => decodeEvent(body(json), ctx()));
    expect(events.map((e) => e.kind)).toEqual(['event', 'event', 'admin', 'admin', 'event', 'admin', 'event', 'admin']);
    expect(events.map((e) => e.emittedAt)).toEqual([
      '2020-06-03T14:02:11.250Z',
      '2020-06-03T14:02:11.250Z',
      '2018-11-22T09:14:03.512Z',
      '2022-05-10T08:30:00.001Z',
      '2024-10-15T12:00:00.123Z',
      '2024-10-15T12:00:00.123Z',
      '2025-03-01T10:00:00.000Z',
      '2025-03-01T10:00:00.000Z',
    ]);
    expect(events[3]?.source).toMatchObject({ datacenterId: 2, keycloakId: 1, sequence: 0 });
    expect(events[4]?.source).toMatchObject({ datacenterId: 3, keycloakId: 31, sequence: 5 });
    for (const e of events) expect(e.source).toMatchObject({ format: 'json', schema: null, uidAssigned: false });
  });

  it('keeps uids that differ only in their low bits, exactly as written', () => {
    const at2070 = ctx({ nowMs: Date.parse('2070-03-28T07:30:00.000Z') });
    const a = decodeEvent(body('{"type":"LOGIN","uid":7311288319461113856}'), at2070);
    const b = decodeEvent(body('{"type":"LOGIN","uid":7311288319461113857}'), at2070);
    const c = decodeEvent(body('{"type":"LOGIN","uid":4611686018427400249}'), at2070);
    expect(a.uid).toBe('7311288319461113856');
    expect(b.uid).toBe('7311288319461113857');
    expect(c.uid).toBe('4611686018427400249');
    expect(a.source.sequence).toBe(16384);
    expect(b.source.sequence).toBe(16385);
    expect(a.emittedAt).toBe(b.emittedAt);
  });

  it('reads a Latin-1 body (0xE9) as é and a UTF-8 body as UTF-8', () => {
    const latin1 = Buffer.from(
      '{"type":"LOGIN","realmId":"soci\u00e9t\u00e9","details":{"username":"ren\u00e9"},"uid":717739917312229378}',
      'latin1',
    );
    expect(latin1.includes(0xe9)).toBe(true);
    const e = decodeEvent(latin1, ctx());
    expect(e.realmId).toBe('société');
    expect(e.details).toEqual({ username: 'rené' });

    const utf8 = Buffer.from('\uFEFF{"type":"LOGIN","realmId":"日本","uid":717739917312229378}', 'utf8');
    expect(decodeEvent(utf8, ctx()).realmId).toBe('日本');
  });

  it('assigns a uid when the body has none, and says so', () => {
    const assignUid = vi.fn(() => ASSIGNED);
    for (const json of ['{"type":"LOGIN","realmId":"r"}', '{"type":"LOGIN","uid":null}']) {
      const e = decodeEvent(body(json), ctx({ assignUid }));
      expect(e.uid).toBe(uidToDecimal(ASSIGNED));
      expect(e.source.uidAssigned).toBe(true);
      expect(e.emittedAt).toBe('2025-03-01T10:00:05.000Z');
      expect(e.source.sequence).toBe(uidFields(ASSIGNED).sequence);
    }
    expect(assignUid).toHaveBeenCalledTimes(2);
    decodeEvent(body(F.EVENT_2020), ctx({ assignUid }));
    expect(assignUid).toHaveBeenCalledTimes(2);
  });

  it('refuses future and pre-epoch uids with their codes', () => {
    expect(kcrCode(() => decodeEvent(body('{"type":"LOGIN","uid":7311288319461113857}'), ctx()))).toBe('KCR_ERR_UID_FUTURE');
    expect(kcrCode(() => decodeEvent(body('{"type":"LOGIN","uid":-42}'), ctx()))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
    expect(kcrCode(() => decodeEvent(body('{"type":"LOGIN","uid":"-9223372036854775808"}'), ctx()))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
  });

  it('reports the non-quarantinable KCR_ERR_BODY_NOT_JSON and quarantinable decode errors', () => {
    expect(kcrCode(() => decodeEvent(body('[{"type":"LOGIN"}]'), ctx()))).toBe('KCR_ERR_BODY_NOT_JSON');
    expect(kcrCode(() => decodeEvent(Buffer.from([0xff, 0xfe, 0x00]), ctx()))).toBe('KCR_ERR_BODY_NOT_JSON');
    expect(kcrCode(() => decodeEvent(body('{"realmId":"r"}'), ctx()))).toBe('KCR_ERR_EVENT_KIND');
    expect(kcrCode(() => decodeEvent(body('{"type":"LOGIN","time":"now"}'), ctx()))).toBe('KCR_ERR_FIELD_TYPE');
    expect(kcrCode(() => decodeEvent(body('{"type":"LOGIN","obj":"AAAA"}'), ctx()))).toBe('KCR_ERR_WRAPPER_TYPE');
  });
});

describe('decodeEvent: FlatBuffer wrapper', () => {
  const fields: FlatBufferFields = {
    kind: 'admin',
    uid: 717739917312229378n,
    time: 1591192931250,
    type: null,
    operationType: 'ACTION',
    resourceType: 'USER',
    resourcePath: 'users/0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3/logout',
    representation: null,
    realmId: 'corp',
    clientId: null,
    userId: null,
    sessionId: null,
    ipAddress: null,
    error: null,
    details: {},
    authDetails: { realmId: 'master', clientId: 'admin-cli', userId: 'u', username: 'admin', ipAddress: '10.0.0.1' },
    schema: 'emitter-2020',
    keycloak: '8.0.1',
    enumBytes: { resourceType: 12, operationType: 3 },
  };

  beforeEach(() => {
    vi.mocked(decodeFlatBuffer).mockReset();
  });

  it('hands the wrapper and the profile to the FlatBuffer decoder and completes its fields', () => {
    vi.mocked(decodeFlatBuffer).mockReturnValue(fields);
    const e = decodeEvent(body('{"type":"AdminEvent","obj":"EAAAAAAA"}'), ctx());
    expect(decodeFlatBuffer).toHaveBeenCalledWith({ type: 'AdminEvent', obj: 'EAAAAAAA' }, ctx().settings);
    expect(e).toMatchObject({
      uid: '717739917312229378',
      kind: 'admin',
      emittedAt: '2020-06-03T14:02:11.250Z',
      resourcePath: 'users/0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3/logout',
      source: {
        node: 'kc-node-1',
        format: 'flatbuffer',
        schema: 'emitter-2020',
        keycloak: '8.0.1',
        enumBytes: { resourceType: 12, operationType: 3 },
        uidAssigned: false,
        keycloakId: 7,
        sequence: 2,
      },
    });
  });

  it('assigns a uid to a FlatBuffer event without one and checks its time', () => {
    vi.mocked(decodeFlatBuffer).mockReturnValue({ ...fields, uid: null });
    expect(decodeEvent(body('{"type":"AdminEvent","obj":""}'), ctx()).source).toMatchObject({ uidAssigned: true, format: 'flatbuffer' });
    vi.mocked(decodeFlatBuffer).mockReturnValue({ ...fields, uid: -1n });
    expect(kcrCode(() => decodeEvent(body('{"type":"AdminEvent","obj":""}'), ctx()))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
  });

  it('does not call the FlatBuffer decoder for malformed wrappers', () => {
    expect(kcrCode(() => decodeEvent(body('{"type":"Event","obj":42}'), ctx()))).toBe('KCR_ERR_BASE64');
    expect(kcrCode(() => decodeEvent(body('{"type":"Event"}'), ctx()))).toBe('KCR_ERR_BASE64');
    expect(decodeFlatBuffer).not.toHaveBeenCalled();
  });
});
