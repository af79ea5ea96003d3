// AdminEvent layout detection: the configured profile decodes unless the buffer evidently has the
// other layout (see src/decode/flatbuffer/layout-detection.ts for the rule).
import { Builder } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { verifyAdminEvent } from '../../../../src/decode/flatbuffer/layout-detection.js';
import { SCHEMA_PROFILES, type SchemaProfile } from '../../../../src/event/canonical.js';
import { base64, bytesOf, fb, golden, kcrMessage, rootLayout } from '../../../support/flatbuffer-goldens.js';

const LAYOUT_2020_PROFILES = SCHEMA_PROFILES.filter((p) => p !== 'emitter-2018');
// The bodies are golden fixtures written by Keycloak 8: its release names their bytes under any profile.
const decodeAdmin = (bytes: Uint8Array, profile: SchemaProfile) =>
  decodeFlatBuffer({ type: 'AdminEvent', obj: base64(bytes) }, fb(profile, '8.0.1'));

describe('emitter-2018 configured, emitter-2020-layout body', () => {
  it.each([
    ['a [Tuple] vector in slot 4', 'emitter-2020--admin-user-logout'],
    ['an empty [Tuple] vector in slot 4', 'emitter-2020--admin-user-disable'],
    ['a 1-byte operationType in slot 6, no details', 'emitter-2020--admin-realm-logout-all'],
  ])('switches to emitter-2020 on %s', (_evidence, name) => {
    const g = golden(name);
    const decoded = decodeAdmin(bytesOf(g), 'emitter-2018');
    expect(decoded.schema).toBe('emitter-2020');
    expect({ ...decoded, uid: decoded.uid?.toString() ?? null }).toEqual(g.expected);
  });

  it('switches on a field in slot 9 alone (emitter-2018 AdminEvents have 9 slots)', () => {
    const b = new Builder(256);
    const error = b.createString('unknown_error');
    const realm = b.createString('corp');
    b.startObject(10);
    b.addFieldInt64(0, 717739917312229378n, 0n);
    b.addFieldOffset(2, realm, 0);
    b.addFieldOffset(9, error, 0);
    b.finish(b.endObject());
    const decoded = decodeAdmin(b.asUint8Array(), 'emitter-2018');
    expect(decoded).toMatchObject({ schema: 'emitter-2020', error: 'unknown_error', realmId: 'corp' });
  });
});

describe('emitter-2020-layout profiles configured, emitter-2018 body', () => {
  it.each(LAYOUT_2020_PROFILES)('%s switches to emitter-2018 on a 1-byte resourceType in slot 4', (profile) => {
    const g = golden('emitter-2018--admin-user-logout');
    expect(decodeAdmin(bytesOf(g), profile)).toMatchObject({ schema: 'emitter-2018', resourceType: 'USER', operationType: 'ACTION' });
  });

  it.each(LAYOUT_2020_PROFILES)('%s switches to emitter-2018 on a resourcePath string in slot 6', (profile) => {
    // resourceType REALM is ordinal 0, so slot 4 is absent and only slot 6 tells the layouts apart.
    const g = golden('emitter-2018--admin-realm-logout-all');
    expect(rootLayout(bytesOf(g)).fieldOffset(4)).toBe(0);
    expect(decodeAdmin(bytesOf(g), profile)).toMatchObject({
      schema: 'emitter-2018',
      resourceType: 'REALM',
      operationType: 'ACTION',
      resourcePath: 'logout-all',
    });
  });
});

describe('no evidence either way', () => {
  it.each([
    ['emitter-2018--admin-head-only', 'emitter-2020'],
    ['emitter-2020--admin-head-only', 'emitter-2018'],
    ['emitter-kc26--admin-head-only', 'emitter-2018'],
  ] as const)('%s under %s keeps the configured profile', (name, profile) => {
    expect(decodeAdmin(bytesOf(golden(name)), profile)).toMatchObject({ schema: profile, realmId: 'corp' });
  });

  it("reports the configured layout's error when only the other layout verifies, without evidence", () => {
    // An emitter-2018 body whose resourcePath (slot 6) is corrupt: emitter-2020 reads slot 6 as a byte
    // and verifies, but a string-sized slot 6 is no evidence for it, so this is not guessed at.
    const bytes = bytesOf(golden('emitter-2018--admin-realm-logout-all'));
    const { target } = rootLayout(bytes);
    const forged = bytes.slice();
    new DataView(forged.buffer).setUint32(target(6), 1_000_000, true);
    expect(kcrMessage(() => decodeAdmin(forged, 'emitter-2018'))).toMatch(/AdminEvent.resourcePath: string of 1000000 bytes/);
  });

  it('keeps the configured profile when both layouts have evidence', () => {
    // A forged body with a string in slot 6 (emitter-2018 evidence) and a field in slot 9 (emitter-2020).
    const b = new Builder(256);
    const path = b.createString('users/x');
    const extra = b.createString('x');
    b.startObject(10);
    b.addFieldInt64(0, 717739917312229378n, 0n);
    b.addFieldOffset(6, path, 0);
    b.addFieldOffset(9, extra, 0);
    b.finish(b.endObject());
    const bytes = b.asUint8Array();
    expect(verifyAdminEvent(bytes, 'emitter-2018').spec.profile).toBe('emitter-2018');
    expect(verifyAdminEvent(bytes, 'emitter-2024-11').spec.profile).toBe('emitter-2024-11');
  });
});
