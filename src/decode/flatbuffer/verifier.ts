// Bounds-checking FlatBuffers verifier. The JavaScript `flatbuffers` runtime has none: out-of-range
// reads silently yield 0 or garbage and a forged vector length makes it allocate millions of
// elements. Every untrusted buffer goes through verifyFlatBuffer before any generated accessor
// touches it; after it returns, every accessor the descriptor covers reads inside the buffer.
//
// Checks beyond the format's bounds rules, each because it is what makes "verified" mean "the
// runtime reads what was checked":
// - vtable length and table size below 0x8000: the runtime reads voffsets as int16, so a larger
//   value would be read as a negative offset, somewhere the verifier never looked;
// - every uoffset at least 4: a target cannot overlap its own offset (no builder writes one, and
//   an offset of 0 is the only way to point a table back at itself);
// - fields of a table must not overlap one another: no builder writes overlapping fields, and it is
//   what makes a 1-byte enum read as a 4-byte offset fail, which layout detection relies on.
// Alignment is deliberately not checked: the runtime reads bytewise (no unaligned-access trap in
// JavaScript), so misalignment is harmless here and rejecting it would only refuse buffers from a
// non-aligning writer.
//
// Work stays linear in the buffer size: traversal follows the descriptor (acyclic in practice,
// capped by maxDepth regardless), a vector's length is checked against the remaining bytes before
// any element is visited, and a work budget (tables, vtable entries, string bytes) proportional to
// the buffer length stops aliasing tricks (many offsets to one big table or string).
import { KCR_ERR_FLATBUFFER } from '../../errors.js';

export type ScalarKind = 'int8' | 'int64' | 'string';

export type SlotDescriptor =
  | { readonly name: string; readonly kind: ScalarKind }
  | { readonly name: string; readonly kind: 'table' | 'vector-of-tables'; readonly table: TableDescriptor };

export interface TableDescriptor {
  readonly name: string;
  /** In slot order. */
  readonly slots: readonly SlotDescriptor[];
}

export interface FieldSpan {
  /** Offset of the field's inline bytes from the start of its table. */
  readonly offset: number;
  /** Bytes from the field's start to the next field of the table (any slot) or the table's end. */
  readonly room: number;
}

export interface VerifiedTable {
  /** Absolute position of the table in the buffer. */
  readonly position: number;
  /** Per descriptor slot: where the field lies, or null when absent. */
  readonly fields: readonly (FieldSpan | null)[];
}

export const DEFAULT_MAX_DEPTH = 8;

/** Tables beyond this many bytes are never written by the emitter; see the int16 note above. */
const MAX_VTABLE_VALUE = 0x7fff;
const UOFFSET_SIZE = 4;
const WIDTH: Readonly<Record<SlotDescriptor['kind'], number>> = {
  int8: 1,
  int64: 8,
  string: UOFFSET_SIZE,
  table: UOFFSET_SIZE,
  'vector-of-tables': UOFFSET_SIZE,
};
/** Work units allowed per buffer byte: builder output stays under 1 (every golden payload does). */
const WORK_PER_BYTE = 4;
const WORK_BASE = 64;

const fail = (reason: string): never => {
  throw KCR_ERR_FLATBUFFER(reason);
};

/**
 * Verifies `bytes` as a FlatBuffer whose root table is `root`. Throws KCR_ERR_FLATBUFFER with the
 * failing path and byte position; returns where the root table's fields lie.
 */
export function verifyFlatBuffer(bytes: Uint8Array, root: TableDescriptor, maxDepth: number = DEFAULT_MAX_DEPTH): VerifiedTable {
  const len = bytes.byteLength;
  // Offsets are read as int32 by the runtime: beyond 2 GiB they could turn negative.
  if (len > 0x7fffffff) fail(`buffer of ${len} bytes exceeds 2 GiB`);
  if (len < UOFFSET_SIZE) fail(`buffer of ${len} bytes is shorter than the 4-byte root offset`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const maxWork = WORK_PER_BYTE * len + WORK_BASE;
  let work = 0;

  const charge = (units: number, where: string): void => {
    work += units;
    if (work > maxWork) {
      fail(`${where}: verification work exceeds ${maxWork} units for a ${len}-byte buffer (aliased tables or strings)`);
    }
  };

  /** Follows the uoffset stored at `at` (whose 4 bytes are known to be inside the buffer). */
  const target = (at: number, what: string): number => {
    const offset = view.getUint32(at, true);
    if (offset < UOFFSET_SIZE) fail(`${what}: offset ${offset} at byte ${at} points into itself`);
    const to = at + offset;
    if (to + UOFFSET_SIZE > len) {
      fail(`${what}: offset at byte ${at} points to byte ${to}, past the end of the ${len}-byte buffer`);
    }
    return to;
  };

  const verifyString = (at: number, what: string): void => {
    const start = target(at, what);
    const length = view.getUint32(start, true);
    const nul = start + UOFFSET_SIZE + length;
    if (nul >= len) {
      fail(`${what}: string of ${length} bytes at byte ${start} runs past the end of the ${len}-byte buffer`);
    }
    if (view.getUint8(nul) !== 0) fail(`${what}: string at byte ${start} is not NUL-terminated`);
    charge(length, what);
  };

  const verifyVector = (at: number, element: TableDescriptor, depth: number, what: string): void => {
    const start = target(at, what);
    const count = view.getUint32(start, true);
    const available = len - start - UOFFSET_SIZE;
    // Checked before touching any element: a forged length fails here in O(1).
    if (count > Math.floor(available / UOFFSET_SIZE)) {
      fail(`${what}: vector at byte ${start} claims ${count} elements but only ${available} bytes follow`);
    }
    for (let i = 0; i < count; i++) {
      const elementAt = start + UOFFSET_SIZE + i * UOFFSET_SIZE;
      const name = `${what}[${i}]`;
      verifyTable(target(elementAt, name), element, depth + 1, name);
    }
  };

  const verifyTable = (position: number, desc: TableDescriptor, depth: number, what: string): VerifiedTable => {
    if (depth > maxDepth) fail(`${what}: tables nested deeper than ${maxDepth}`);
    const vtable = position - view.getInt32(position, true);
    if (vtable < 0 || vtable + 4 > len) {
      fail(`${what}: vtable of the table at byte ${position} would be at byte ${vtable}, outside the ${len}-byte buffer`);
    }
    const vtableLength = view.getUint16(vtable, true);
    const tableSize = view.getUint16(vtable + 2, true);
    if (vtableLength < 4 || vtableLength % 2 !== 0) {
      fail(`${what}: vtable at byte ${vtable} has length ${vtableLength} (must be even and at least 4)`);
    }
    if (vtableLength > MAX_VTABLE_VALUE || tableSize > MAX_VTABLE_VALUE) {
      fail(`${what}: vtable at byte ${vtable} declares ${vtableLength}/${tableSize} bytes, beyond ${MAX_VTABLE_VALUE}`);
    }
    if (vtable + vtableLength > len) {
      fail(`${what}: vtable of ${vtableLength} bytes at byte ${vtable} runs past the end of the ${len}-byte buffer`);
    }
    if (tableSize < 4) fail(`${what}: table at byte ${position} has size ${tableSize}, smaller than its soffset`);
    if (position + tableSize > len) {
      fail(`${what}: table of ${tableSize} bytes at byte ${position} runs past the end of the ${len}-byte buffer`);
    }
    const vtableSlots = (vtableLength - 4) / 2;
    charge(1 + vtableSlots, what);
    const slotOffset = (slot: number): number => (slot < vtableSlots ? view.getUint16(vtable + 4 + 2 * slot, true) : 0);

    const fields = desc.slots.map((slot, index): FieldSpan | null => {
      const offset = slotOffset(index);
      if (offset === 0) return null;
      const name = `${what}.${slot.name}`;
      const width = WIDTH[slot.kind];
      if (offset < 4) fail(`${name}: field at table offset ${offset} overlaps the table's soffset`);
      if (offset + width > tableSize) {
        fail(`${name}: ${width}-byte field at table offset ${offset} exceeds the table's size ${tableSize}`);
      }
      let room = tableSize - offset;
      charge(vtableSlots, name);
      for (let other = 0; other < vtableSlots; other++) {
        const otherOffset = other === index ? 0 : slotOffset(other);
        if (otherOffset === offset) fail(`${name}: field shares table offset ${offset} with slot ${other}`);
        if (otherOffset > offset && otherOffset - offset < room) room = otherOffset - offset;
      }
      if (width > room) {
        fail(`${name}: ${width}-byte field at table offset ${offset} has only ${room} bytes before the next field`);
      }
      return { offset, room };
    });

    desc.slots.forEach((slot, index) => {
      const field = fields[index];
      if (!field) return;
      const at = position + field.offset;
      const name = `${what}.${slot.name}`;
      switch (slot.kind) {
        case 'string':
          verifyString(at, name);
          break;
        case 'table':
          verifyTable(target(at, name), slot.table, depth + 1, name);
          break;
        case 'vector-of-tables':
          verifyVector(at, slot.table, depth, name);
          break;
        case 'int8':
        case 'int64':
          break;
      }
    });
    return { position, fields };
  };

  return verifyTable(target(0, `${root.name} root`), root, 0, root.name);
}
