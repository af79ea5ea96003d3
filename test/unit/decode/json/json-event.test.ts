import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../../../src/decode/json-body.js';
import { decodeJsonEvent, isFlatBufferWrapper, readFlatBufferWrapper } from '../../../../src/decode/json-event.js';
import { kcrCode, thrownKcrError as errorOf } from '../../../support/kcr-error.js';
import * as F from './fixtures.js';

const decode = (json: string) => decodeJsonEvent(parseJsonBody(json));

describe('decodeJsonEvent: every historical shape', () => {
  it('emitter-2018 Event with details null', () => {
    expect(decode(F.EVENT_2018)).toEqual({
      kind: 'event',
      uid: 515092590414102528n,
      time: 1542878043512,
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
      schema: null,
      keycloak: null,
      enumBytes: null,
    });
  });

  it('emitter-2020 Event with username in details', () => {
    const e = decode(F.EVENT_2020);
    expect(e.kind).toBe('event');
    expect(e.uid).toBe(717739917312229378n);
    expect(e.type).toBe('LOGIN');
    expect(e.details).toEqual({
      auth_method: 'openid-connect',
      auth_type: 'code',
      redirect_uri: 'https://portal.example.com/',
      consent: 'no_consent_required',
      code_id: '2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65',
      username: 'jdoe',
    });
  });

  it('emitter-2020 Event with details {} and null user fields', () => {
    const e = decode(F.EVENT_2020_EMPTY_DETAILS);
    expect(e).toMatchObject({ type: 'CLIENT_LOGIN_ERROR', userId: null, sessionId: null, error: 'invalid_client_credentials' });
    expect(e.details).toEqual({});
  });

  it('emitter-2018 AdminEvent with authDetails (no username, no details)', () => {
    expect(decode(F.ADMIN_2018)).toEqual({
      kind: 'admin',
      uid: 515092590414102529n,
      time: 1542878043512,
      type: null,
      operationType: 'ACTION',
      resourceType: 'USER',
      resourcePath: 'users/4c5e5f2d-7a3b-4e1f-9b1c-2d3e4f5a6b7c/logout',
      representation: null,
      realmId: 'master',
      clientId: null,
      userId: null,
      sessionId: null,
      ipAddress: null,
      error: null,
      details: {},
      authDetails: {
        realmId: 'master',
        clientId: 'security-admin-console',
        userId: 'e1d2c3b4-a596-4788-99aa-bbccddeeff00',
        username: null,
        ipAddress: '10.20.30.41',
      },
      schema: null,
      keycloak: null,
      enumBytes: null,
    });
  });

  it('emitter-2020 AdminEvent with extAuthDetails and details', () => {
    const e = decode(F.ADMIN_2020);
    expect(e).toMatchObject({ kind: 'admin', operationType: 'UPDATE', resourceType: 'USER', realmId: 'corp' });
    expect(e.authDetails).toEqual({
      realmId: 'master',
      clientId: 'security-admin-console',
      userId: 'e1d2c3b4-a596-4788-99aa-bbccddeeff00',
      username: 'admin',
      ipAddress: '10.20.30.41',
    });
    expect(e.details).toEqual({ target_user_id: '0b7c0f6e-3d1e-4a8f-8a44-51d1f0d2e9a3', target_username: 'jdoe' });
    expect(JSON.parse(e.representation ?? 'null')).toMatchObject({ username: 'jdoe', enabled: false });
  });

  it('Keycloak 18+ bodies with "id": null', () => {
    expect(decode(F.EVENT_KC18)).toMatchObject({ kind: 'event', type: 'LOGOUT', uid: 1295717813972860933n });
    expect(decode(F.ADMIN_KC18)).toMatchObject({
      kind: 'admin',
      resourceType: 'USER_SESSION',
      operationType: 'DELETE',
      resourcePath: 'sessions/2c5f0a1e-6b7d-4c3e-9f2a-8d1b0e4c7a65',
      details: {},
    });
  });

  it('Keycloak 25/26 bodies with realmName outside and inside extAuthDetails', () => {
    const event = decode(F.EVENT_KC26);
    expect(event).toMatchObject({ kind: 'event', type: 'DELETE_ACCOUNT', realmId: 'corp', details: { username: 'jdoe' } });
    expect(event).not.toHaveProperty('realmName');
    const admin = decode(F.ADMIN_KC26);
    expect(admin).toMatchObject({ kind: 'admin', resourceType: 'REALM', operationType: 'ACTION', resourcePath: 'logout-all' });
    expect(admin.authDetails).toEqual({
      realmId: 'master',
      clientId: 'security-admin-console',
      userId: 'e1d2c3b4-a596-4788-99aa-bbccddeeff00',
      username: 'admin',
      ipAddress: '10.20.30.41',
    });
  });

  it('an Event whose every field is null, and one with only a type', () => {
    const nulls = decode(
      '{"id":null,"time":null,"type":null,"realmId":null,"clientId":null,"userId":null,"sessionId":null,"ipAddress":null,"error":null,"details":null,"uid":null}',
    );
    expect(nulls).toMatchObject({ kind: 'event', uid: null, time: null, type: null, details: {} });
    expect(decode('{"type":"LOGIN"}')).toMatchObject({ kind: 'event', uid: null, realmId: null, details: {} });
  });

  it('an AdminEvent with null operationType/resourceType and null authDetails', () => {
    expect(decode('{"time":1,"resourceType":null,"operationType":null,"authDetails":null,"uid":1}')).toMatchObject({
      kind: 'admin',
      operationType: null,
      resourceType: null,
      authDetails: null,
    });
  });

  it('prefers a non-null extAuthDetails over authDetails', () => {
    const e = decode('{"operationType":"CREATE","authDetails":{"userId":"old"},"extAuthDetails":{"userId":"new","username":"u"}}');
    expect(e.authDetails).toMatchObject({ userId: 'new', username: 'u' });
    expect(decode('{"operationType":"CREATE","authDetails":{"userId":"old"},"extAuthDetails":null}').authDetails).toMatchObject({
      userId: 'old',
    });
  });

  it('ignores unknown members', () => {
    const e = decode('{"type":"LOGIN","realmId":"r","futureField":{"nested":[1,2]},"representation":"x","uid":5}');
    expect(e).toMatchObject({ kind: 'event', type: 'LOGIN', realmId: 'r', uid: 5n, representation: null });
  });

  it('tells the kinds apart by field names; admin fields win over "type"', () => {
    expect(decode('{"type":"X","operationType":"CREATE","resourceType":"USER"}')).toMatchObject({
      kind: 'admin',
      type: null,
      operationType: 'CREATE',
    });
    expect(decode('{"resourceType":"CLIENT"}').kind).toBe('admin');
    expect(kcrCode(() => decode('{"time":1,"realmId":"r","uid":5}'))).toBe('KCR_ERR_EVENT_KIND');
    expect(kcrCode(() => decode('{}'))).toBe('KCR_ERR_EVENT_KIND');
  });
});

describe('decodeJsonEvent: details values', () => {
  it('stringifies numbers and booleans, keeps null', () => {
    expect(decode('{"type":"LOGIN","details":{"a":"s","b":12,"c":1.5,"d":true,"e":false,"f":null}}').details).toEqual({
      a: 's',
      b: '12',
      c: '1.5',
      d: 'true',
      e: 'false',
      f: null,
    });
  });

  it('keeps a "__proto__" key as data', () => {
    const details = decode('{"type":"LOGIN","details":{"__proto__":"x","k":"v"}}').details;
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
    expect(Object.keys(details)).toEqual(['__proto__', 'k']);
    expect(JSON.stringify(details)).toBe('{"__proto__":"x","k":"v"}');
  });

  it('refuses nested objects and arrays, naming the key', () => {
    const err = errorOf(() => decode('{"type":"LOGIN","details":{"ok":"v","bad":{"x":1}}}'));
    expect(err.code).toBe('KCR_ERR_FIELD_TYPE');
    expect(err.message).toContain('details["bad"]');
    expect(kcrCode(() => decode('{"type":"LOGIN","details":{"bad":[]}}'))).toBe('KCR_ERR_FIELD_TYPE');
  });

  it('refuses details that are not an object', () => {
    for (const details of ['[]', '"x"', '3', 'true']) {
      const err = errorOf(() => decode(`{"type":"LOGIN","details":${details}}`));
      expect(err.code).toBe('KCR_ERR_FIELD_TYPE');
      expect(err.message).toContain('"details"');
    }
  });
});

describe('decodeJsonEvent: wrong types', () => {
  const cases: [string, string][] = [
    ['{"type":"LOGIN","time":"1591192931250"}', 'time'],
    ['{"type":"LOGIN","time":1.5}', 'time'],
    ['{"type":"LOGIN","time":1e300}', 'time'],
    ['{"type":42}', 'type'],
    ['{"type":"LOGIN","realmId":["r"]}', 'realmId'],
    ['{"type":"LOGIN","userId":{}}', 'userId'],
    ['{"type":"LOGIN","sessionId":true}', 'sessionId'],
    ['{"type":"LOGIN","ipAddress":1}', 'ipAddress'],
    ['{"type":"LOGIN","error":0}', 'error'],
    ['{"type":"LOGIN","clientId":1}', 'clientId'],
    ['{"operationType":3}', 'operationType'],
    ['{"operationType":"CREATE","resourceType":false}', 'resourceType'],
    ['{"operationType":"CREATE","resourcePath":7}', 'resourcePath'],
    ['{"operationType":"UPDATE","representation":{"enabled":false}}', 'representation'],
    ['{"operationType":"CREATE","authDetails":"admin"}', 'authDetails'],
    ['{"operationType":"CREATE","extAuthDetails":[]}', 'extAuthDetails'],
    ['{"operationType":"CREATE","extAuthDetails":{"username":5}}', 'extAuthDetails.username'],
    ['{"operationType":"CREATE","authDetails":{"userId":5}}', 'authDetails.userId'],
    ['{"type":"LOGIN","uid":true}', 'uid'],
    ['{"type":"LOGIN","uid":{"high":1}}', 'uid'],
  ];
  it.each(cases)('%s → KCR_ERR_FIELD_TYPE naming %s', (json, field) => {
    const err = errorOf(() => decode(json));
    expect(err.code).toBe('KCR_ERR_FIELD_TYPE');
    expect(err.message).toContain(`"${field}`);
    expect(err.quarantinable).toBe(true);
  });
});

describe('decodeJsonEvent: uid', () => {
  it('keeps uids that differ only in bits a double drops', () => {
    const a = decode('{"type":"LOGIN","uid":7311288319461113856}');
    const b = decode('{"type":"LOGIN","uid":7311288319461113857}');
    expect(a.uid).toBe(7311288319461113856n);
    expect(b.uid).toBe(7311288319461113857n);
    expect(decode('{"type":"LOGIN","uid":4611686018427400249}').uid).toBe(4611686018427400249n);
  });

  it('accepts the uid as a JSON number or as a decimal string, identically', () => {
    expect(decode('{"type":"LOGIN","uid":"7311288319461113857"}').uid).toBe(7311288319461113857n);
    expect(decode('{"type":"LOGIN","uid":-5}').uid).toBe(-5n);
    expect(decode('{"type":"LOGIN","uid":"-5"}').uid).toBe(-5n);
  });

  it('is null when absent or null', () => {
    expect(decode('{"type":"LOGIN"}').uid).toBeNull();
    expect(decode('{"type":"LOGIN","uid":null}').uid).toBeNull();
  });

  it('refuses fractions, exponents, out-of-range and non-decimal text', () => {
    for (const uid of ['1.5', '1.0', '1e3', '9223372036854775808', '"12ab"', '"+1"', '""']) {
      expect(kcrCode(() => decode(`{"type":"LOGIN","uid":${uid}}`))).toBe('KCR_ERR_UID_INVALID');
    }
  });

  it('refuses a uid that is already a JS number (not parsed by parseJsonBody)', () => {
    expect(kcrCode(() => decodeJsonEvent({ type: 'LOGIN', uid: 5 }))).toBe('KCR_ERR_UID_INVALID');
  });
});

describe('FlatBuffer wrapper detection', () => {
  it('recognizes the wrapper by "obj" and a type of exactly Event/AdminEvent', () => {
    const event = parseJsonBody('{"type":"Event","obj":"EAAAAA=="}');
    const admin = parseJsonBody('{"type":"AdminEvent","obj":""}');
    expect(isFlatBufferWrapper(event)).toBe(true);
    expect(isFlatBufferWrapper(admin)).toBe(true);
    expect(readFlatBufferWrapper(event)).toEqual({ type: 'Event', obj: 'EAAAAA==' });
    expect(readFlatBufferWrapper(admin)).toEqual({ type: 'AdminEvent', obj: '' });
  });

  it('does not take a JSON Event for a wrapper', () => {
    for (const json of [F.EVENT_2018, F.EVENT_2020, F.ADMIN_2020, F.EVENT_KC26, '{"type":"event"}']) {
      const obj = parseJsonBody(json);
      expect(isFlatBufferWrapper(obj)).toBe(false);
      expect(readFlatBufferWrapper(obj)).toBeNull();
    }
  });

  it('refuses a body with "obj" and any other type as a bad wrapper', () => {
    for (const json of ['{"type":"LOGIN","obj":"AAAA"}', '{"type":"event","obj":"AAAA"}', '{"obj":"AAAA"}', '{"type":null,"obj":1}']) {
      const obj = parseJsonBody(json);
      expect(isFlatBufferWrapper(obj)).toBe(false);
      expect(kcrCode(() => readFlatBufferWrapper(obj))).toBe('KCR_ERR_WRAPPER_TYPE');
    }
    expect(errorOf(() => readFlatBufferWrapper(parseJsonBody('{"type":"LOGIN","obj":"AAAA"}'))).message).toContain('"LOGIN"');
  });

  it('refuses a wrapper type without a string "obj"', () => {
    for (const json of ['{"type":"Event"}', '{"type":"AdminEvent","obj":null}', '{"type":"Event","obj":[1,2]}']) {
      expect(kcrCode(() => readFlatBufferWrapper(parseJsonBody(json)))).toBe('KCR_ERR_BASE64');
    }
  });
});
