// Enum bytes are Keycloak ordinals of the release the emitter runs in; the build's own list only says
// where UNKNOWN is. Keycloak inserted constants mid-enum, so one byte names different constants
// under different releases, whatever the emitter build.
import { describe, expect, it } from 'vitest';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { enumNaming } from '../../../../src/decode/flatbuffer/enum-naming.js';
import { LAYOUT_2018, LAYOUT_2020 } from '../../../../src/decode/flatbuffer/layouts.js';
import { defaultKeycloak, nearestProfileOfOtherLayout, PROFILES, UNKNOWN } from '../../../../src/decode/flatbuffer/profiles.js';
import { KNOWN_KEYCLOAK_RELEASES } from '../../../../src/decode/keycloak/keycloak-versions.js';
import { SCHEMA_PROFILES } from '../../../../src/event/canonical.js';
import { fb, golden } from '../../../support/flatbuffer-goldens.js';

const naming = (profile: (typeof SCHEMA_PROFILES)[number], release?: string) => {
  const settings = fb(profile, release);
  return enumNaming(PROFILES[profile], settings.keycloak);
};

describe('EventType bytes of the 2018/2020 builds', () => {
  it('name GRANT_CONSENT, UPDATE_CONSENT and REVOKE_GRANT as Keycloak 8 meant them (32, 34, 36)', () => {
    for (const profile of ['emitter-2018', 'emitter-2020'] as const) {
      const n = naming(profile, '8.0.1');
      expect([n.eventType(32), n.eventType(34), n.eventType(36)]).toEqual(['GRANT_CONSENT', 'UPDATE_CONSENT', 'REVOKE_GRANT']);
    }
  });

  it('name 32 REVOKE_GRANT on Keycloak 4.8 and 6.0, which had no consent events', () => {
    expect(naming('emitter-2018', '4.8.3').eventType(32)).toBe('REVOKE_GRANT');
    expect(naming('emitter-2018', '6').eventType(32)).toBe('REVOKE_GRANT');
  });

  it('store UNKNOWN for the byte the build writes for constants its list lacks (86), whatever the release', () => {
    for (const release of KNOWN_KEYCLOAK_RELEASES) expect(naming('emitter-2020', release).eventType(86)).toBe(UNKNOWN);
  });
});

describe('ResourceType bytes', () => {
  it('name 25 CLIENT_SCOPE_CLIENT_MAPPING and 27 COMPONENT on Keycloak 20 under emitter-2024-10', () => {
    const n = naming('emitter-2024-10', '20');
    expect([n.resourceType(25), n.resourceType(26), n.resourceType(27)]).toEqual([
      'CLIENT_SCOPE_CLIENT_MAPPING',
      'CLUSTER_NODE',
      'COMPONENT',
    ]);
    // The 2024-10 list is one shorter than Keycloak 20's: AUTHORIZATION_POLICY and CUSTOM arrive as its UNKNOWN.
    expect(n.resourceType(31)).toBe(UNKNOWN);
  });

  it('name USER 12 before Keycloak 25 and 13 from it on (REQUIRED_ACTION_CONFIG inserted at 8)', () => {
    expect(naming('emitter-2024-11', '24').resourceType(12)).toBe('USER');
    expect(naming('emitter-kc26', '25').resourceType(13)).toBe('USER');
    expect(naming('emitter-kc26', '26').resourceType(12)).toBe('PROTOCOL_MAPPER');
  });

  it('decode the same bytes to different types under different Keycloak releases', () => {
    const g = golden('emitter-2020--admin-component-create'); // COMPONENT written by Keycloak 8 as 26
    const decode = (release: string) => decodeFlatBuffer({ type: g.type, obj: g.obj }, fb('emitter-2020', release)).resourceType;
    expect(decode('8.0.1')).toBe('COMPONENT');
    expect(decode('20.0.5')).toBe('CLUSTER_NODE');
  });
});

describe('bytes no constant has', () => {
  it('are UNKNOWN, negative ones included; operationType is unchecked but bounded by Keycloak', () => {
    const n = naming('emitter-2018');
    for (const byte of [87, 127, -1, -128]) expect(n.eventType(byte)).toBe(UNKNOWN);
    for (const byte of [31, 100, -1]) expect(n.resourceType(byte)).toBe(UNKNOWN);
    expect([0, 1, 2, 3].map((b) => n.operationType(b))).toEqual(['CREATE', 'UPDATE', 'DELETE', 'ACTION']);
    expect(n.operationType(4)).toBe(UNKNOWN);
  });

  it("are UNKNOWN below the build's UNKNOWN when the Keycloak release has fewer constants (a forged byte)", () => {
    // emitter-kc26 (UNKNOWN = 118) under Keycloak 8 (90 constants): bytes 90..117 name nothing.
    const n = naming('emitter-kc26', '8');
    expect(n.eventType(89)).toBe('PERMISSION_TOKEN_ERROR');
    expect(n.eventType(90)).toBe(UNKNOWN);
  });
});

describe('profiles', () => {
  it('default to a known Keycloak release each', () => {
    expect(SCHEMA_PROFILES.map((p) => [p, defaultKeycloak(p).release])).toEqual([
      ['emitter-2018', '8.0.1'],
      ['emitter-2020', '8.0.1'],
      ['emitter-2024-10', '20.0.5'],
      ['emitter-2024-11', '20.0.5'],
      ['emitter-kc26', '26.2.4'],
    ]);
  });

  it('put UNKNOWN where the generated enums have it', () => {
    expect(SCHEMA_PROFILES.map((p) => [PROFILES[p].unknownEventType, PROFILES[p].unknownResourceType])).toEqual([
      [86, 31],
      [86, 31],
      [104, 31],
      [104, 33],
      [118, 37],
    ]);
  });

  it('give emitter-2018 its own layout and every later build the emitter-2020 one', () => {
    expect(PROFILES['emitter-2018'].layout).toBe(LAYOUT_2018);
    for (const profile of SCHEMA_PROFILES.filter((p) => p !== 'emitter-2018')) expect(PROFILES[profile].layout).toBe(LAYOUT_2020);
  });

  it('fall back to the build nearest across the layout change', () => {
    expect(nearestProfileOfOtherLayout('emitter-2018')).toBe('emitter-2020');
    for (const profile of SCHEMA_PROFILES.filter((p) => p !== 'emitter-2018'))
      expect(nearestProfileOfOtherLayout(profile)).toBe('emitter-2018');
  });
});
