// Every request captured from the real emitter's code decodes, under the settings the README's
// operator table gives for its build, to what Keycloak meant: the constant it built the event with,
// or UNKNOWN (with the raw byte) where the FlatBuffer byte could not carry that constant.
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '../../support/decode-event.js';
import {
  capturesPresent,
  loadCaptures,
  operatorSettings,
  SKIP_REASON,
  storableName,
  usernameOf,
  type Capture,
} from '../../support/real-emitter.js';
import { decodeSettings } from '../../support/decode-settings.js';

const captures = loadCaptures();

function decodeCapture(c: Capture) {
  const { FLATBUFFERS_SCHEMA, KEYCLOAK_VERSION } = operatorSettings(c.build);
  return decodeEvent(c.body, {
    settings: decodeSettings(FLATBUFFERS_SCHEMA, KEYCLOAK_VERSION),
    contentType: c.request.headers['Content-type'],
    node: usernameOf(c),
    nowMs: (c.expected.time ?? 0) + 1_000,
    maxFutureSkewMs: 300_000,
    assignUid: () => {
      throw new Error('every capture carries a uid');
    },
  });
}

describe.skipIf(!capturesPresent)(capturesPresent ? 'real emitter captures' : `real emitter captures (skipped: ${SKIP_REASON})`, () => {
  it('cover four builds, both formats, and the bytes Keycloak 8 and 20 shifted', () => {
    expect(new Set(captures.map((c) => c.build))).toEqual(
      new Set(['emitter-8.0.1-1.0', 'emitter-8.0.1-1.3', 'emitter-20.0.1', 'emitter-20.1.0']),
    );
    expect(captures.length).toBeGreaterThanOrEqual(170);
    // The bytes the issue was found with: the build's list says REVOKE_GRANT where Keycloak 8 meant GRANT_CONSENT.
    const misnamed = captures.filter((c) => c.expected.schemaNamesOfBytes?.type === 'REVOKE_GRANT' && c.expected.type !== 'REVOKE_GRANT');
    expect(misnamed.map((c) => [c.build, c.expected.type])).toEqual([
      ['emitter-8.0.1-1.0', 'GRANT_CONSENT'],
      ['emitter-8.0.1-1.3', 'GRANT_CONSENT'],
    ]);
  });

  it.each(captures.map((c) => [c.file, c] as const))('%s', (_file, c) => {
    const event = decodeCapture(c);
    const { expected } = c;
    expect(event).toMatchObject({
      uid: expected.uid,
      kind: expected.kind,
      time: expected.time,
      type: storableName(c, 'type'),
      operationType: storableName(c, 'operationType'),
      resourceType: storableName(c, 'resourceType'),
      resourcePath: expected.resourcePath,
      representation: expected.representation,
      realmId: expected.realmId,
      clientId: expected.clientId,
      userId: expected.userId,
      sessionId: expected.sessionId,
      ipAddress: expected.ipAddress,
      error: expected.error,
      // The canonical event has {} for absent details.
      details: expected.details ?? {},
      authDetails:
        expected.authDetails === null
          ? null
          : { realmId: null, clientId: null, userId: null, username: null, ipAddress: null, ...expected.authDetails },
    });
    expect(event.source).toMatchObject({
      node: 'kc-node-1',
      format: c.format === 'JSON' ? 'json' : 'flatbuffer',
      uidAssigned: false,
      datacenterId: 1,
      keycloakId: 7,
      // The raw bytes are kept, so that an UNKNOWN can be traced to what was sent.
      enumBytes: c.format === 'JSON' ? null : expect.objectContaining(c.expected.enumBytes),
    });
  });
});
