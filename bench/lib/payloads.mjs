// Request bodies as Keycloak's event-emitter sends them, each with a unique snowflake uid, so that
// the relay does its full work (dedup miss + append) on every request instead of answering
// "duplicate" from the dedup set.
import { readFileSync } from 'node:fs';
import { ByteBuffer } from 'flatbuffers';

const EPOCH_MS = 1_420_070_400_000n;

/**
 * The emitter's snowflake generator: ((ms - 2015-01-01) << 22) | dc << 20 | kc << 15 | seq, with
 * the sequence reset each millisecond and the clock borrowed ahead when 32,768 uids are taken in
 * one millisecond, so every uid is unique and its time is "now" (never in the future by more than
 * a few ms, never older than the dedup window).
 */
export class UidSource {
  #ms = 0n;
  #seq = 0n;

  /** One Keycloak node's generator: uids of different (datacenterId, keycloakId) never collide. */
  constructor(datacenterId = 1, keycloakId = 3) {
    this.node = (BigInt(datacenterId) << 20n) | (BigInt(keycloakId) << 15n);
  }

  next() {
    const now = BigInt(Date.now());
    if (now > this.#ms) {
      this.#ms = now;
      this.#seq = 0n;
    } else if (++this.#seq > 32_767n) {
      this.#ms += 1n;
      this.#seq = 0n;
    }
    return ((this.#ms - EPOCH_MS) << 22n) | this.node | this.#seq;
  }

  /** The uid's own time, as the emitter sets the event's `time` to it. */
  static timeOf(uid) {
    return (uid >> 22n) + EPOCH_MS;
  }
}

/**
 * A LOGIN event as the emitter's Jackson writes it (nulls included), ~330 bytes; the same shape
 * as test/support/payloads.ts. The uid goes in as raw digits: it does not fit a JS number.
 */
export function jsonEventBody(uid) {
  const fields = {
    time: Number(UidSource.timeOf(uid)),
    type: 'LOGIN',
    realmId: 'master',
    clientId: 'account-console',
    userId: '2b3a3f7e-8f4e-4c5b-9a1d-7c2f4e9d1a11',
    sessionId: '0c6e5a57-4a1f-4d8e-b6e2-2f1d9e8c7b6a',
    ipAddress: '10.0.0.7',
    error: null,
    details: { auth_method: 'openid-connect', username: 'alice' },
  };
  return `${JSON.stringify(fields).slice(0, -1)},"uid":${uid}}`;
}

/**
 * FlatBuffer bodies (`{"type":"Event","obj":"<base64>"}`) made from a golden emitter-2018 fixture
 * (built by Python's flatbuffers, independent of the relay). The uid and time fields are located
 * through the flatc-generated accessors (vtable lookup, not a guessed byte offset) and patched per
 * request: a memcpy, two int64 writes and a base64 encode, cheap enough for the load generator.
 */
export async function flatbufferBodies(fixturePath, generatedEventModule) {
  const fixture = JSON.parse(readFileSync(fixturePath, 'utf8'));
  if (fixture.type !== 'Event') throw new Error(`${fixturePath}: expected an Event fixture`);
  const { Event } = await import(generatedEventModule);
  const template = Buffer.from(fixture.obj, 'base64');
  const event = Event.getRootAsEvent(new ByteBuffer(new Uint8Array(template)));
  const fieldPos = (vtableSlot) => {
    const rel = event.bb.__offset(event.bb_pos, vtableSlot);
    if (!rel) throw new Error(`${fixturePath}: field at vtable slot ${vtableSlot} absent (default); cannot patch it`);
    return event.bb_pos + rel;
  };
  const uidPos = fieldPos(4); // Event.uid: field 0
  const timePos = fieldPos(6); // Event.time: field 1
  if (template.readBigInt64LE(uidPos) !== event.uid()) throw new Error('uid position check failed');

  const body = (uid) => {
    const buf = Buffer.from(template);
    buf.writeBigInt64LE(uid, uidPos);
    buf.writeBigInt64LE(UidSource.timeOf(uid), timePos);
    return `{"type":"Event","obj":"${buf.toString('base64')}"}`;
  };
  // Self-check: decoding a patched body with the generated code gives back the patched uid.
  const probe = 1_345_334_773_539_897_999n;
  const patched = Buffer.from(JSON.parse(body(probe)).obj, 'base64');
  if (Event.getRootAsEvent(new ByteBuffer(new Uint8Array(patched))).uid() !== probe) {
    throw new Error('patched FlatBuffer does not decode to the patched uid');
  }
  return { body, name: fixture.name, bytes: body(probe).length };
}

/** The canonical event as the relay forwards it (contract), for measuring the sink on its own. */
export function canonicalEventBody(uid) {
  const time = Number(UidSource.timeOf(uid));
  return JSON.stringify({
    uid: uid.toString(),
    kind: 'event',
    time,
    emittedAt: new Date(time).toISOString(),
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
    details: { auth_method: 'openid-connect', username: 'alice' },
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
      sequence: Number(uid & 32767n),
    },
    receivedAt: new Date().toISOString(),
    late: false,
  });
}

export function basicAuth(user, password) {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
