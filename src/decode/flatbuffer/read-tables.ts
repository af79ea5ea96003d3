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

type StringAccessor = (encoding: flatbuffers.Encoding) => string | Uint8Array | null;

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

function readString(get: StringAccessor, field: string): string | null {
  const raw = get(UTF8_BYTES);
  if (raw === null || typeof raw === 'string') return raw;
  try {
    return utf8.decode(raw);
  } catch {
    throw KCR_ERR_FIELD_TYPE(field, 'valid UTF-8');
  }
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
    const key = readString((e) => tuple.key(e), `${field}[${i}].key`);
    if (key === null) throw KCR_ERR_FIELD_TYPE(`${field}[${i}].key`, 'a string');
    entries.push([key, readString((e) => tuple.value(e), `${field}[${i}].value`)]);
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
    realmId: readString((e) => event.realmId(e), 'realmId'),
    clientId: readString((e) => event.clientId(e), 'clientId'),
    userId: readString((e) => event.userId(e), 'userId'),
    sessionId: readString((e) => event.sessionId(e), 'sessionId'),
    ipAddress: readString((e) => event.ipAddress(e), 'ipAddress'),
    error: readString((e) => event.error(e), 'error'),
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
      realmId: readString((e) => auth.realmId(e), 'authDetails.realmId'),
      clientId: readString((e) => auth.clientId(e), 'authDetails.clientId'),
      userId: readString((e) => auth.userId(e), 'authDetails.userId'),
      username: null,
      ipAddress: readString((e) => auth.ipAddress(e), 'authDetails.ipAddress'),
    };
    return adminFields(admin, spec, naming, authDetails, {});
  }
  const admin = new AdminEvent2020().__init(root.position, bb);
  const auth = admin.authDetails();
  const authDetails = auth && {
    realmId: readString((e) => auth.realmId(e), 'authDetails.realmId'),
    clientId: readString((e) => auth.clientId(e), 'authDetails.clientId'),
    userId: readString((e) => auth.userId(e), 'authDetails.userId'),
    username: readString((e) => auth.username(e), 'authDetails.username'),
    ipAddress: readString((e) => auth.ipAddress(e), 'authDetails.ipAddress'),
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
    resourcePath: readString((e) => admin.resourcePath(e), 'resourcePath'),
    representation: readString((e) => admin.representation(e), 'representation'),
    realmId: readString((e) => admin.realmId(e), 'realmId'),
    clientId: null,
    userId: null,
    sessionId: null,
    ipAddress: null,
    error: readString((e) => admin.error(e), 'error'),
    details,
    authDetails,
    schema: spec.profile,
    keycloak: naming.keycloak,
    enumBytes: { resourceType: resourceTypeByte, operationType: operationTypeByte },
  };
}
