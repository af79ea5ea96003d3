// Shared by the FlatBuffer decoder tests: the golden fixtures and small byte-level helpers.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ByteBuffer } from 'flatbuffers';
import type { SchemaProfile } from '../../src/event/canonical.js';
import type { FlatBufferFields, FlatBufferSettings } from '../../src/decode/flatbuffer/decode-flatbuffer.js';
import { fb } from './decode-settings.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const GOLDEN_DIR = join(ROOT, 'test', 'fixtures', 'golden');

export interface Golden {
  name: string;
  encoder: string;
  profile: SchemaProfile;
  /** The Keycloak release whose ordinals the payload's enum bytes are. */
  keycloak: string;
  type: 'Event' | 'AdminEvent';
  obj: string;
  expected: Omit<FlatBufferFields, 'uid'> & { uid: string | null };
}

export function loadGoldens(dir: string = GOLDEN_DIR): Golden[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Golden);
}

export function golden(name: string): Golden {
  const found = loadGoldens().find((g) => g.name === name);
  if (!found) throw new Error(`no golden fixture ${name}`);
  return found;
}

/** The settings a golden fixture is meant to be decoded with. */
export const settingsOf = (g: Golden): FlatBufferSettings => fb(g.profile, g.keycloak);

export const bytesOf = (g: Golden): Uint8Array => new Uint8Array(Buffer.from(g.obj, 'base64'));
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The decoded fields as they appear in a fixture: uid as a decimal string. */
export const comparable = (fields: FlatBufferFields) => ({ ...fields, uid: fields.uid === null ? null : fields.uid.toString() });

export { kcrCode, kcrMessage } from './kcr-error.js';
export { fb };

/** Where the root table, its vtable and its fields are, read from a trusted (golden) buffer. */
export function rootLayout(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = view.getUint32(0, true);
  const vtable = table - view.getInt32(table, true);
  const slots = (view.getUint16(vtable, true) - 4) / 2;
  const fieldOffset = (slot: number) => (slot < slots ? view.getUint16(vtable + 4 + 2 * slot, true) : 0);
  /** Absolute position of what the uoffset field in `slot` points to. */
  const target = (slot: number) => table + fieldOffset(slot) + view.getUint32(table + fieldOffset(slot), true);
  return { view, table, vtable, slots, fieldOffset, target };
}

/**
 * Makes the flatbuffers runtime throw on any read outside its buffer, which it otherwise answers with
 * undefined/0 or a silently clamped subarray. Returns the function that restores it.
 */
export function guardRuntimeReads(): () => void {
  const proto = ByteBuffer.prototype;
  const original = { readUint8: proto.readUint8, readUint16: proto.readUint16, readInt32: proto.readInt32, __string: proto.__string };
  const check = (bb: ByteBuffer, offset: number, size: number) => {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > bb.capacity()) {
      throw new Error(`runtime read of ${size} bytes at ${offset} outside a ${bb.capacity()}-byte buffer`);
    }
  };
  proto.readUint8 = function (this: ByteBuffer, offset: number) {
    check(this, offset, 1);
    return original.readUint8.call(this, offset);
  };
  proto.readUint16 = function (this: ByteBuffer, offset: number) {
    check(this, offset, 2);
    return original.readUint16.call(this, offset);
  };
  proto.readInt32 = function (this: ByteBuffer, offset: number) {
    check(this, offset, 4);
    return original.readInt32.call(this, offset);
  };
  proto.__string = function (this: ByteBuffer, offset: number, encoding?: never) {
    const start = offset + this.readInt32(offset);
    check(this, start, 4 + this.readInt32(start));
    return original.__string.call(this, offset, encoding);
  };
  return () => Object.assign(proto, original);
}
