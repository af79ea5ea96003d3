// Canonical events for store tests, as the decoders would produce them (uid time = emittedAt).
import type { CanonicalEvent } from '../../src/event/canonical.js';
import { uidAt } from './payloads.js';

export function canonicalEvent(timeMs = Date.now(), overrides: Partial<CanonicalEvent> = {}): CanonicalEvent {
  return {
    uid: uidAt(timeMs),
    kind: 'event',
    time: timeMs,
    emittedAt: new Date(timeMs).toISOString(),
    type: 'LOGIN',
    operationType: null,
    resourceType: null,
    resourcePath: null,
    representation: null,
    realmId: 'master',
    clientId: 'account-console',
    userId: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
    sessionId: '0c6e5a57-4a1f-4d8e-b6e2-2f1d9e8c7b6a',
    ipAddress: '10.0.0.7',
    error: null,
    details: { username: 'alice' },
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
    receivedAt: new Date().toISOString(),
    late: false,
    ...overrides,
  };
}
