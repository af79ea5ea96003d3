// Enum ordinals per emitter build: Keycloak inserted values mid-enum, so one byte names different
// things under different profiles.
import { describe, expect, it } from 'vitest';
import { decodeFlatBuffer } from '../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { LAYOUT_2018, LAYOUT_2020 } from '../../../src/decode/flatbuffer/layouts.js';
import { enumName, nearestProfileOfOtherLayout, PROFILES, UNKNOWN } from '../../../src/decode/flatbuffer/profiles.js';
import { SCHEMA_PROFILES } from '../../../src/event/canonical.js';
import { golden } from './support.js';

describe('ResourceType USER moved from 12 to 13 when emitter-kc26 inserted REQUIRED_ACTION_CONFIG', () => {
  it.each([
    ['emitter-2018', 'USER', 'USER_LOGIN_FAILURE'],
    ['emitter-2020', 'USER', 'USER_LOGIN_FAILURE'],
    ['emitter-2024-10', 'USER', 'USER_LOGIN_FAILURE'],
    ['emitter-2024-11', 'USER', 'USER_LOGIN_FAILURE'],
    ['emitter-kc26', 'PROTOCOL_MAPPER', 'USER'],
  ] as const)('%s: 12 is %s, 13 is %s', (profile, twelve, thirteen) => {
    expect(enumName(PROFILES[profile].resourceTypes, 12)).toBe(twelve);
    expect(enumName(PROFILES[profile].resourceTypes, 13)).toBe(thirteen);
  });

  it('decodes the same bytes to different resource types', () => {
    const older = golden('emitter-2020--admin-user-logout'); // USER written as 12
    const newer = golden('emitter-kc26--admin-user-logout'); // USER written as 13
    const decode = (g: typeof older, profile: (typeof SCHEMA_PROFILES)[number]) =>
      decodeFlatBuffer({ type: g.type, obj: g.obj }, profile).resourceType;
    expect(decode(older, 'emitter-2020')).toBe('USER');
    expect(decode(older, 'emitter-kc26')).toBe('PROTOCOL_MAPPER');
    expect(decode(newer, 'emitter-kc26')).toBe('USER');
    expect(decode(newer, 'emitter-2024-11')).toBe('USER_LOGIN_FAILURE');
    // Under emitter-2018 the layout is detected as emitter-2020, whose list also has 13 = USER_LOGIN_FAILURE.
    expect(decode(newer, 'emitter-2018')).toBe('USER_LOGIN_FAILURE');
  });
});

describe('enum names', () => {
  it('shifts EventType after VERIFY_PROFILE was inserted (emitter-2024-10)', () => {
    expect(PROFILES['emitter-2020'].eventTypes.indexOf('REVOKE_GRANT')).toBe(32);
    expect(PROFILES['emitter-2024-10'].eventTypes.indexOf('REVOKE_GRANT')).toBe(38);
    expect(enumName(PROFILES['emitter-2020'].eventTypes, 32)).toBe('REVOKE_GRANT');
    expect(enumName(PROFILES['emitter-2024-10'].eventTypes, 32)).toBe('REMOVE_TOTP');
  });

  it.each(SCHEMA_PROFILES)('%s: dense lists ending in UNKNOWN, from the generated enums', (profile) => {
    const spec = PROFILES[profile];
    for (const list of [spec.eventTypes, spec.resourceTypes, spec.operationTypes]) {
      expect(list.every((name) => typeof name === 'string')).toBe(true);
      expect(Object.keys(list)).toHaveLength(list.length);
    }
    expect(spec.eventTypes.at(-1)).toBe(UNKNOWN);
    expect(spec.resourceTypes.at(-1)).toBe(UNKNOWN);
    expect(spec.operationTypes).toEqual(['CREATE', 'UPDATE', 'DELETE', 'ACTION']);
  });

  it('names every byte outside a list UNKNOWN, negative ones included', () => {
    const { eventTypes, resourceTypes, operationTypes } = PROFILES['emitter-2018'];
    expect(enumName(eventTypes, eventTypes.length)).toBe(UNKNOWN);
    expect(enumName(eventTypes, 127)).toBe(UNKNOWN);
    expect(enumName(resourceTypes, -1)).toBe(UNKNOWN);
    expect(enumName(resourceTypes, -128)).toBe(UNKNOWN);
    expect(enumName(operationTypes, 4)).toBe(UNKNOWN); // OperationType has no UNKNOWN of its own
    expect(enumName(operationTypes, 3)).toBe('ACTION');
  });
});

describe('profiles and layouts', () => {
  it('gives emitter-2018 its own layout and every later build the emitter-2020 one', () => {
    expect(PROFILES['emitter-2018'].layout).toBe(LAYOUT_2018);
    for (const profile of SCHEMA_PROFILES.filter((p) => p !== 'emitter-2018')) {
      expect(PROFILES[profile].layout).toBe(LAYOUT_2020);
    }
  });

  it('falls back to the build nearest across the layout change', () => {
    expect(nearestProfileOfOtherLayout('emitter-2018')).toBe('emitter-2020');
    for (const profile of SCHEMA_PROFILES.filter((p) => p !== 'emitter-2018')) {
      expect(nearestProfileOfOtherLayout(profile)).toBe('emitter-2018');
    }
  });
});
