// Bodies as the cloudtrust event-emitter posts them, for the simulator: Jackson JSON (written as
// ISO-8859-1 bytes, `Content-type: application/json` without charset) and the FlatBuffer wrapper
// `{"type":"Event","obj":"<base64>"}` over emitter-2018 tables. Only event types whose ordinals are
// the same in every emitter build are used, so any FLATBUFFERS_SCHEMA decodes them alike.
import { Builder } from 'flatbuffers';
import { Event } from '../../dist/generated/emitter2018/event.js';
import { EventType } from '../../dist/generated/emitter2018/event-type.js';
import { Tuple } from '../../dist/generated/emitter2018/tuple.js';

const EPOCH_MS = 1_420_070_400_000n;

/** The emitter's snowflake: ms since 2015 << 22 | datacenter << 20 | keycloak node << 15 | sequence. */
export class Uids {
  #ms = 0n;
  #seq = 0n;
  constructor(datacenter, keycloak) {
    this.dc = BigInt(datacenter);
    this.kc = BigInt(keycloak);
  }
  next() {
    const now = BigInt(Date.now());
    if (now > this.#ms) [this.#ms, this.#seq] = [now, 0n];
    else if (++this.#seq > 32_767n) [this.#ms, this.#seq] = [this.#ms + 1n, 0n];
    return { uid: ((this.#ms - EPOCH_MS) << 22n) | (this.dc << 20n) | (this.kc << 15n) | this.#seq, time: Number(this.#ms) };
  }
}

/** A user event (LOGIN, LOGIN_ERROR, CODE_TO_TOKEN, REFRESH_TOKEN, LOGOUT) as JSON text. */
export function userEventJson({ uid, time }, e) {
  const fields = {
    time,
    type: e.type,
    realmId: e.realmId,
    clientId: e.clientId,
    userId: e.userId,
    sessionId: e.sessionId,
    ipAddress: e.ipAddress,
    error: e.error ?? null,
    details: e.details,
  };
  // The uid goes in as raw digits: it does not fit a JS number.
  return `${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`;
}

/** An administrator ending every session of a user (USER ACTION users/{id}/logout), as JSON text. */
export function adminLogoutJson({ uid, time }, { realmId, userId }) {
  const fields = {
    id: null,
    time,
    realmId,
    realmName: null,
    extAuthDetails: {
      realmId: 'master',
      realmName: null,
      clientId: 'security-admin-console',
      userId: 'a7d0b1c2-0000-4000-8000-000000000001',
      username: 'admin',
      ipAddress: '10.0.0.9',
    },
    resourceType: 'USER',
    operationType: 'ACTION',
    resourcePath: `users/${userId}/logout`,
    representation: null,
    error: null,
    details: {},
  };
  return `${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`;
}

/** The same user event as the emitter's FLATBUFFER format writes it. */
export function userEventFlatBuffer({ uid, time }, e) {
  const b = new Builder(512);
  const str = (s) => (s === null || s === undefined ? 0 : b.createString(s));
  const tuples = Object.entries(e.details).map(([k, v]) => Tuple.createTuple(b, b.createString(k), b.createString(v)));
  const details = Event.createDetailsVector(b, tuples);
  const [realm, client, user, session, ip, error] = [e.realmId, e.clientId, e.userId, e.sessionId, e.ipAddress, e.error].map(str);
  b.finish(Event.createEvent(b, uid, BigInt(time), EventType[e.type], realm, client, user, session, ip, error, details));
  return JSON.stringify({ type: 'Event', obj: Buffer.from(b.asUint8Array()).toString('base64') });
}

/** What the relay receives from a build whose tables it was not told about: undecodable, quarantined. */
export function damagedFlatBuffer() {
  return JSON.stringify({ type: 'Event', obj: Buffer.from('not a flatbuffer of any emitter build').toString('base64') });
}

/**
 * The same user event as Phase Two's keycloak-events webhook posts it: compact JSON in p2's key
 * order, nulls left out, the event's client, user, session and address in `authDetails` (whose
 * `realmId` is the realm NAME), a random delivery `uid` beside Keycloak's event `id`.
 */
export function phaseTwoEventJson({ time }, e, { id, uid }) {
  const present = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
  return JSON.stringify(
    present({
      id,
      time,
      realmId: e.realmId,
      realmName: e.realmId,
      error: e.error ?? null,
      uid,
      authDetails: present({
        realmId: e.realmId,
        clientId: e.clientId,
        userId: e.userId,
        ipAddress: e.ipAddress,
        username: e.details.username,
        sessionId: e.sessionId,
      }),
      details: e.details,
      type: `access.${e.type}`,
    }),
  );
}

/** The claims of a CAEP session-revoked Security Event Token as Keycloak's SSF transmitter builds them. */
export function sessionRevokedClaims({ issuer, audience }, { userId, sessionId }, nowS) {
  return {
    jti: crypto.randomUUID(),
    iss: issuer,
    iat: nowS,
    aud: audience,
    events: {
      'https://schemas.openid.net/secevent/caep/event-type/session-revoked': {
        event_timestamp: nowS,
        initiating_entity: 'user',
        reason_admin: { en: 'User logout' },
      },
    },
    sub_id: {
      format: 'complex',
      user: { format: 'iss_sub', iss: issuer, sub: userId },
      session: { format: 'opaque', id: sessionId },
    },
    txn: crypto.randomUUID(),
  };
}
