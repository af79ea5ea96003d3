// Reads a verified buffer through the flatc-generated accessors. Safe only after verifyFlatBuffer
// accepted the buffer against the same layout: the accessors themselves check nothing.
import * as flatbuffers from 'flatbuffers';
import { AdminEvent as AdminEvent2018 } from '../../../generated/emitter2018/admin-event.js';
import { AdminEvent as AdminEvent2020 } from '../../../generated/emitter2020/admin-event.js';
import { Event } from '../../../generated/emitter2020/event.js';
import type { AuthDetails, SchemaProfile } from '../../event/canonical.js';
import { KCR_ERR_FIELD_TYPE } from '../../errors.js';
import type { DecodedFields } from '../decoded-fields.js';
import { LAYOUT_2018 } from './layouts.js';
import type { EnumNaming } from './enum-naming.js';
import type { ProfileSpec } from './profiles.js';
import type { VerifiedTable } from './verifier.js';

/** DecodedFields of a FlatBuffer body: the profile actually used and the Keycloak release naming its bytes. */
export type FlatBufferFields = DecodedFields & { schema: SchemaProfile; keycloak: string };

interface TupleTable {
  key(encoding: flatbuffers.Encoding): string | Uint8Array | null;
  value(encoding: flatbuffers.Encoding): string | Uint8Array | null;
}

/** What both generations of the generated AdminEvent class share. */
interface AdminEventTable {
  uid(): bigint;
  time(): bigint;
  realmId(encoding: flatbuffers.Encoding): string | Uint8Array | null;
  resourceType(): number;
  operationType(): number;
  resourcePath(encoding: flatbuffers.Encoding): string | Uint8Array | null;
  representation(encoding: flatbuffers.Encoding): string | Uint8Array | null;
  error(encoding: flatbuffers.Encoding): string | Uint8Array | null;
}

const UTF8_BYTES = flatbuffers.Encoding.UTF8_BYTES;
// The runtime's own decoding replaces invalid UTF-8 with U+FFFD and strips a leading BOM, silently
// changing identifiers; Java's builder only writes valid UTF-8, so anything else is refused, and a
// BOM is kept as the data it is.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What utf8Text returns for bytes that are not valid UTF-8: the caller names the field. */
const INVALID_UTF8 = Symbol('invalid UTF-8');

function utf8Text(raw: string | Uint8Array | null): string | null | typeof INVALID_UTF8 {
  if (raw === null || typeof raw === 'string') return raw;
  try {
    return utf8.decode(raw);
  } catch {
    return INVALID_UTF8;
  }
}

/** A string field, read by its accessor's result (called with UTF8_BYTES): no closure per field and event. */
function readString(raw: string | Uint8Array | null, field: string): string | null {
  const text = utf8Text(raw);
  if (text === INVALID_UTF8) throw KCR_ERR_FIELD_TYPE(field, 'valid UTF-8');
  return text;
}

/** 0 is both the default and "absent": Java's builder omits a field equal to its default. */
const readUid = (raw: bigint): bigint | null => (raw === 0n ? null : raw);

const MAX_TIME = BigInt(Number.MAX_SAFE_INTEGER);

function readTime(raw: bigint): number | null {
  if (raw === 0n) return null;
  if (raw > MAX_TIME || raw < -MAX_TIME) throw KCR_ERR_FIELD_TYPE('time', 'an integer (epoch milliseconds) within ±(2^53 - 1)');
  return Number(raw);
}

function readDetails(count: number, at: (index: number) => TupleTable | null, field: string): Record<string, string | null> {
  const entries: [string, string | null][] = [];
  for (let i = 0; i < count; i++) {
    // Present for every index below the vector's length: the verifier checked each element.
    const tuple = at(i)!;
    // The element's name is spelled out only for an error: not twice per detail and event.
    const key = utf8Text(tuple.key(UTF8_BYTES));
    if (key === INVALID_UTF8) throw KCR_ERR_FIELD_TYPE(`${field}[${i}].key`, 'valid UTF-8');
    if (key === null) throw KCR_ERR_FIELD_TYPE(`${field}[${i}].key`, 'a string');
    const value = utf8Text(tuple.value(UTF8_BYTES));
    if (value === INVALID_UTF8) throw KCR_ERR_FIELD_TYPE(`${field}[${i}].value`, 'valid UTF-8');
    entries.push([key, value]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data instead of setting a prototype.
  return Object.fromEntries(entries);
}

export function readEvent(bytes: Uint8Array, spec: ProfileSpec, naming: EnumNaming, root: VerifiedTable): FlatBufferFields {
  const event = new Event().__init(root.position, new flatbuffers.ByteBuffer(bytes));
  // An absent type is ordinal 0 (LOGIN): the builder omits the default.
  const typeByte = event.type();
  return {
    kind: 'event',
    uid: readUid(event.uid()),
    time: readTime(event.time()),
    type: naming.eventType(typeByte),
    operationType: null,
    resourceType: null,
    resourcePath: null,
    representation: null,
    realmId: readString(event.realmId(UTF8_BYTES), 'realmId'),
    clientId: readString(event.clientId(UTF8_BYTES), 'clientId'),
    userId: readString(event.userId(UTF8_BYTES), 'userId'),
    sessionId: readString(event.sessionId(UTF8_BYTES), 'sessionId'),
    ipAddress: readString(event.ipAddress(UTF8_BYTES), 'ipAddress'),
    error: readString(event.error(UTF8_BYTES), 'error'),
    details: readDetails(event.detailsLength(), (i) => event.details(i), 'details'),
    authDetails: null,
    schema: spec.profile,
    keycloak: naming.keycloak,
    enumBytes: { type: typeByte },
  };
}

export function readAdminEvent(bytes: Uint8Array, spec: ProfileSpec, naming: EnumNaming, root: VerifiedTable): FlatBufferFields {
  const bb = new flatbuffers.ByteBuffer(bytes);
  if (spec.layout === LAYOUT_2018) {
    const admin = new AdminEvent2018().__init(root.position, bb);
    const auth = admin.authDetails();
    const authDetails = auth && {
      realmId: readString(auth.realmId(UTF8_BYTES), 'authDetails.realmId'),
      clientId: readString(auth.clientId(UTF8_BYTES), 'authDetails.clientId'),
      userId: readString(auth.userId(UTF8_BYTES), 'authDetails.userId'),
      username: null,
      ipAddress: readString(auth.ipAddress(UTF8_BYTES), 'authDetails.ipAddress'),
    };
    return adminFields(admin, spec, naming, authDetails, {});
  }
  const admin = new AdminEvent2020().__init(root.position, bb);
  const auth = admin.authDetails();
  const authDetails = auth && {
    realmId: readString(auth.realmId(UTF8_BYTES), 'authDetails.realmId'),
    clientId: readString(auth.clientId(UTF8_BYTES), 'authDetails.clientId'),
    userId: readString(auth.userId(UTF8_BYTES), 'authDetails.userId'),
    username: readString(auth.username(UTF8_BYTES), 'authDetails.username'),
    ipAddress: readString(auth.ipAddress(UTF8_BYTES), 'authDetails.ipAddress'),
  };
  return adminFields(
    admin,
    spec,
    naming,
    authDetails,
    readDetails(admin.detailsLength(), (i) => admin.details(i), 'details'),
  );
}

function adminFields(
  admin: AdminEventTable,
  spec: ProfileSpec,
  naming: EnumNaming,
  authDetails: AuthDetails | null,
  details: Record<string, string | null>,
): FlatBufferFields {
  // Absent enums are ordinal 0: the emitter writes a null resourceType/operationType as 0.
  const resourceTypeByte = admin.resourceType();
  const operationTypeByte = admin.operationType();
  return {
    kind: 'admin',
    uid: readUid(admin.uid()),
    time: readTime(admin.time()),
    type: null,
    operationType: naming.operationType(operationTypeByte),
    resourceType: naming.resourceType(resourceTypeByte),
    resourcePath: readString(admin.resourcePath(UTF8_BYTES), 'resourcePath'),
    representation: readString(admin.representation(UTF8_BYTES), 'representation'),
    realmId: readString(admin.realmId(UTF8_BYTES), 'realmId'),
    clientId: null,
    userId: null,
    sessionId: null,
    ipAddress: null,
    error: readString(admin.error(UTF8_BYTES), 'error'),
    details,
    authDetails,
    schema: spec.profile,
    keycloak: naming.keycloak,
    enumBytes: { resourceType: resourceTypeByte, operationType: operationTypeByte },
  };
}
