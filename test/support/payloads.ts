// Realistic emitter bodies for HTTP tests, written as the emitter writes them (Jackson, nulls
// included); the uid is spliced in as raw digits because it does not fit a JS number.
const EPOCH = 1_420_070_400_000n;
let sequence = 0;

/** An emitter-layout snowflake: ms since 2015 <<22 | dc <<20 | keycloakId <<15 | sequence. */
export function uidAt(timeMs: number, seq?: number, dc = 1, kc = 3): string {
  const s = seq ?? (sequence = (sequence + 1) % 32768);
  return (((BigInt(timeMs) - EPOCH) << 22n) | (BigInt(dc) << 20n) | (BigInt(kc) << 15n) | BigInt(s)).toString();
}

export const freshUid = (): string => uidAt(Date.now());

/** A JSON body of `fields` with the uid spliced in as raw digits: it does not fit a JS number. */
export const withUid = (fields: object, uid: string): string => `${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`;

export function loginEventJson(uid: string, extra: Record<string, unknown> = {}): string {
  const fields = {
    time: Date.now(),
    type: 'LOGIN',
    realmId: 'master',
    clientId: 'account-console',
    userId: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
    sessionId: '0c6e5a57-4a1f-4d8e-b6e2-2f1d9e8c7b6a',
    ipAddress: '10.0.0.7',
    error: null,
    details: { auth_method: 'openid-connect', username: 'alice' },
    ...extra,
  };
  return withUid(fields, uid);
}

export function adminEventJson(uid: string): string {
  const fields = {
    id: null,
    time: Date.now(),
    realmId: 'master',
    realmName: null,
    extAuthDetails: {
      realmId: 'master',
      realmName: null,
      clientId: 'security-admin-console',
      userId: 'a1',
      username: 'admin',
      ipAddress: '10.0.0.9',
    },
    resourceType: 'USER',
    operationType: 'ACTION',
    resourcePath: 'users/2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11/logout',
    representation: null,
    error: null,
    details: {},
  };
  return withUid(fields, uid);
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
