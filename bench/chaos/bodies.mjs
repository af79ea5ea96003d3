// Event bodies exactly as the cloudtrust event-emitter sends them: one event per POST, JSON as
// Jackson writes it in ISO-8859-1 bytes (`Content-type: application/json`, no charset, the uid a bare
// 64-bit number), or FLATBUFFER as `{"type":"Event","obj":"<base64>"}` built with the flatc-generated
// builders of the emitter-2018 schema (the relay's default FLATBUFFERS_SCHEMA). Only the event types
// LOGIN (0) and LOGOUT (4) are used in FlatBuffers: the same ordinals in every Keycloak version.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Builder } from 'flatbuffers';
import { UidSource } from '../lib/payloads.mjs';

const TYPE_ORDINAL = { LOGIN: 0, LOGOUT: 4 };

/** The event's time, as the emitter sets it: the uid's own (epoch ms, a number). */
export const timeOf = (uid) => Number(UidSource.timeOf(uid));

/** What the harness remembers of an event, to check what the sinks receive. */
export function describeEvent(uid, kind, type, index) {
  return {
    uid: uid.toString(),
    kind,
    type,
    realmId: 'chaos',
    userId: `u-${index % 50}`,
    sessionId: `s-${uid}`,
    // Latin-1 beyond ASCII: the relay must decode the emitter's ISO-8859-1 bytes as such.
    username: `zoé.müller-${index % 50}`,
  };
}

export function jsonBody(event) {
  const uid = BigInt(event.uid);
  if (event.kind === 'admin') {
    const fields = {
      time: timeOf(uid),
      realmId: event.realmId,
      authDetails: { realmId: event.realmId, clientId: 'security-admin-console', userId: 'admin-1', ipAddress: '10.0.0.9' },
      resourceType: 'USER',
      operationType: 'CREATE',
      resourcePath: `users/${event.userId}`,
      representation: JSON.stringify({ username: event.username, enabled: true }),
      error: null,
    };
    return Buffer.from(`${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`, 'latin1');
  }
  const fields = {
    time: timeOf(uid),
    type: event.type,
    realmId: event.realmId,
    clientId: 'account-console',
    userId: event.userId,
    sessionId: event.sessionId,
    ipAddress: '10.0.0.7',
    error: null,
    details: { auth_method: 'openid-connect', username: event.username },
  };
  return Buffer.from(`${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`, 'latin1');
}

/** Loads the generated emitter-2018 builders from the build (npm run build compiles generated/). */
export async function flatbufferBuilder(root) {
  const dir = join(root, 'dist/generated/emitter2018');
  const { Event } = await import(pathToFileURL(join(dir, 'event.js')).href);
  const { Tuple } = await import(pathToFileURL(join(dir, 'tuple.js')).href);
  return (event) => {
    const uid = BigInt(event.uid);
    const b = new Builder(512);
    const str = (s) => b.createString(s);
    const realm = str(event.realmId);
    const client = str('account-console');
    const user = str(event.userId);
    const session = str(event.sessionId);
    const ip = str('10.0.0.7');
    const tuples = [
      ['auth_method', 'openid-connect'],
      ['username', event.username],
    ].map(([k, v]) => {
      const key = str(k);
      const value = str(v);
      Tuple.startTuple(b);
      Tuple.addKey(b, key);
      Tuple.addValue(b, value);
      return Tuple.endTuple(b);
    });
    const details = Event.createDetailsVector(b, tuples);
    Event.startEvent(b);
    Event.addUid(b, uid);
    Event.addTime(b, BigInt(timeOf(uid)));
    Event.addType(b, TYPE_ORDINAL[event.type]);
    Event.addRealmId(b, realm);
    Event.addClientId(b, client);
    Event.addUserId(b, user);
    Event.addSessionId(b, session);
    Event.addIpAddress(b, ip);
    Event.addDetails(b, details);
    b.finish(Event.endEvent(b));
    const obj = Buffer.from(b.asUint8Array()).toString('base64');
    return Buffer.from(JSON.stringify({ type: 'Event', obj }), 'utf8');
  };
}
