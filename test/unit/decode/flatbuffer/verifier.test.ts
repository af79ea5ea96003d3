// The verifier against truncated and forged buffers: every failure is KCR_ERR_FLATBUFFER with a
// reason, found before the flatbuffers runtime reads anything.
import { Builder, ByteBuffer } from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import { Event } from '../../../../generated/emitter2020/event.js';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { LAYOUT_2018, LAYOUT_2020 } from '../../../../src/decode/flatbuffer/layouts.js';
import { verifyFlatBuffer, type SlotDescriptor, type TableDescriptor } from '../../../../src/decode/flatbuffer/verifier.js';
import {
  base64,
  bytesOf,
  fb,
  golden,
  kcrCode,
  kcrMessage,
  loadGoldens,
  rootLayout,
  settingsOf,
} from '../../../support/flatbuffer-goldens.js';

const EVENT = LAYOUT_2020.event;
const logout = bytesOf(golden('emitter-2020--event-logout'));

/** A copy of `bytes` changed by `edit`. */
function patched(bytes: Uint8Array, edit: (view: DataView, copy: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer), copy);
  return copy;
}

const failure = (bytes: Uint8Array, desc: TableDescriptor = EVENT, maxDepth?: number) =>
  kcrMessage(() => verifyFlatBuffer(bytes, desc, maxDepth));

describe('verifyFlatBuffer: valid buffers', () => {
  it('accepts every golden payload under the layout that wrote it', () => {
    for (const g of loadGoldens()) {
      const layout = g.expected.schema === 'emitter-2018' ? LAYOUT_2018 : LAYOUT_2020;
      const root = verifyFlatBuffer(bytesOf(g), g.type === 'Event' ? layout.event : layout.adminEvent);
      expect(root.fields.length, g.name).toBe((g.type === 'Event' ? layout.event : layout.adminEvent).slots.length);
    }
  });

  it('reports where the root fields lie and how much room each has', () => {
    const root = verifyFlatBuffer(logout, EVENT);
    const { table, fieldOffset } = rootLayout(logout);
    expect(root.position).toBe(table);
    expect(root.fields[0]?.offset).toBe(fieldOffset(0));
    expect(root.fields[0]?.room).toBeGreaterThanOrEqual(8); // the 8-byte uid, plus any alignment padding
    expect(root.fields[2]).toMatchObject({ room: 1 }); // the 1-byte type, packed against its neighbour
    expect(root.fields[8]).toBeNull(); // error
  });
});

describe('verifyFlatBuffer: truncation', () => {
  it('rejects every golden payload cut short, unless only trailing padding was cut', () => {
    let rejected = 0;
    for (const g of loadGoldens()) {
      const full = bytesOf(g);
      const decoded = decodeFlatBuffer({ type: g.type, obj: g.obj }, settingsOf(g));
      for (let length = 0; length < full.length; length++) {
        const obj = base64(full.subarray(0, length));
        // The last bytes may be alignment padding of the first object written: at most 7.
        if (length <= full.length - 8) {
          expect(
            kcrCode(() => decodeFlatBuffer({ type: g.type, obj }, settingsOf(g))),
            `${g.name} cut to ${length}`,
          ).toBe('KCR_ERR_FLATBUFFER');
          rejected++;
        } else {
          try {
            expect(decodeFlatBuffer({ type: g.type, obj }, settingsOf(g))).toEqual(decoded);
          } catch (err) {
            expect(
              kcrCode(() => {
                throw err;
              }),
            ).toBe('KCR_ERR_FLATBUFFER');
          }
        }
      }
    }
    expect(rejected).toBeGreaterThan(10_000);
  });

  it('names the missing root offset', () => {
    expect(failure(new Uint8Array(3))).toBe('FlatBuffer failed verification: buffer of 3 bytes is shorter than the 4-byte root offset');
  });
});

describe('verifyFlatBuffer: forged offsets', () => {
  const { table, vtable, fieldOffset } = rootLayout(logout);

  it.each([
    ['root offset 0', (v: DataView) => v.setUint32(0, 0, true), /Event root: offset 0 at byte 0 points into itself/],
    ['root offset past the end', (v: DataView) => v.setUint32(0, logout.length, true), /past the end/],
    ['root offset 0xFFFFFFFF', (v: DataView) => v.setUint32(0, 0xffffffff, true), /past the end/],
    ['vtable before the buffer', (v: DataView) => v.setInt32(table, table + 1, true), /vtable .* would be at byte -1/],
    ['vtable after the buffer', (v: DataView) => v.setInt32(table, -logout.length, true), /outside the/],
    ['odd vtable length', (v: DataView) => v.setUint16(vtable, 23, true), /length 23 \(must be even and at least 4\)/],
    ['vtable length 2', (v: DataView) => v.setUint16(vtable, 2, true), /length 2 \(must be even/],
    ['vtable past the end', (v: DataView) => v.setUint16(vtable, 0x7ff0, true), /runs past the end/],
    ['vtable length read as negative int16', (v: DataView) => v.setUint16(vtable, 0x8004, true), /beyond 32767/],
    ['table size read as negative int16', (v: DataView) => v.setUint16(vtable + 2, 0xfff0, true), /beyond 32767/],
    ['table size below 4', (v: DataView) => v.setUint16(vtable + 2, 2, true), /has size 2, smaller than its soffset/],
    ['table past the end', (v: DataView) => v.setUint16(vtable + 2, logout.length, true), /table of \d+ bytes .* runs past the end/],
    [
      'field beyond the table',
      (v: DataView) => v.setUint16(vtable + 4 + 2 * 3, 0x7000, true),
      /Event.realmId: 4-byte field .* exceeds the table's size/,
    ],
    ['field over the soffset', (v: DataView) => v.setUint16(vtable + 4 + 2 * 3, 2, true), /Event.realmId: .* overlaps the table's soffset/],
    ['two slots at one offset', (v: DataView) => v.setUint16(vtable + 4 + 2 * 4, fieldOffset(3), true), /shares table offset/],
    [
      'uid overlapping the next field',
      (v: DataView) => v.setUint16(vtable + 4, fieldOffset(2) - 4, true),
      /Event.uid: 8-byte field at table offset \d+ has only \d+ bytes before the next field/,
    ],
    [
      'string offset into itself',
      (v: DataView) => v.setUint32(table + fieldOffset(3), 0, true),
      /Event.realmId: offset 0 .* points into itself/,
    ],
    [
      'string offset backwards (negative as int32)',
      (v: DataView) => v.setUint32(table + fieldOffset(3), 0xfffffff0, true),
      /Event.realmId: .* past the end/,
    ],
  ])('%s', (_name, edit, reason) => {
    const forged = patched(logout, edit);
    expect(failure(forged)).toMatch(reason);
    expect(kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: base64(forged) }, fb('emitter-2020')))).toBe('KCR_ERR_FLATBUFFER');
  });
});

describe('verifyFlatBuffer: forged strings', () => {
  const { target } = rootLayout(logout);
  const realmId = target(3);

  it.each([
    ['length = buffer length', logout.length, /Event.realmId: string of \d+ bytes .* runs past the end/],
    ['length 0xFFFFFFFF', 0xffffffff, /string of 4294967295 bytes/],
    ['length one byte short ("cor" + "p" where the NUL should be)', 3, /Event.realmId: string at byte \d+ is not NUL-terminated/],
  ])('%s', (_name, length, reason) => {
    expect(failure(patched(logout, (v) => v.setUint32(realmId, length, true)))).toMatch(reason);
  });

  it('rejects a missing NUL terminator', () => {
    const length = new DataView(logout.buffer, logout.byteOffset).getUint32(realmId, true);
    expect(failure(patched(logout, (_v, b) => (b[realmId + 4 + length] = 0x41)))).toMatch(/not NUL-terminated/);
  });
});

describe('verifyFlatBuffer: forged vector lengths', () => {
  const { target } = rootLayout(logout);
  const details = target(9);

  it('rejects a 50,000,000-element vector in O(1), before touching any element', () => {
    const forged = patched(logout, (v) => v.setUint32(details, 50_000_000, true));
    // What the runtime alone would do with it: report 50M Tuples, and unpack() would allocate them.
    const unchecked = Event.getRootAsEvent(new ByteBuffer(forged));
    expect(unchecked.detailsLength()).toBe(50_000_000);

    const reason = failure(forged);
    const decodeCode = kcrCode(() => decodeFlatBuffer({ type: 'Event', obj: base64(forged) }, fb('emitter-2020')));
    expect(reason).toMatch(/Event.details: vector at byte \d+ claims 50000000 elements but only \d+ bytes follow/);
    expect(decodeCode).toBe('KCR_ERR_FLATBUFFER');
  });

  it('rejects a vector one element too long and an element offset out of the buffer', () => {
    const count = new DataView(logout.buffer, logout.byteOffset).getUint32(details, true);
    expect(failure(patched(logout, (v) => v.setUint32(details, count + 1, true)))).toMatch(/Event.details\[2\]/);
    expect(failure(patched(logout, (v) => v.setUint32(details + 4, 0x7fffffff, true)))).toMatch(
      /Event.details\[0\]: offset at byte \d+ points to byte \d+, past the end/,
    );
  });
});

describe('verifyFlatBuffer: nesting, cycles and aliasing', () => {
  // A self-referential table type, which no emitter schema has, to exercise the depth limit.
  const node: { name: string; slots: SlotDescriptor[] } = { name: 'Node', slots: [] };
  node.slots.push({ name: 'child', kind: 'table', table: node });

  function chain(depth: number): Uint8Array {
    const b = new Builder(64);
    let child = 0;
    for (let i = 0; i <= depth; i++) {
      b.startObject(1);
      if (child) b.addFieldOffset(0, child, 0);
      child = b.endObject();
    }
    b.finish(child);
    return b.asUint8Array();
  }

  it('follows nesting up to maxDepth and refuses one level more', () => {
    expect(() => verifyFlatBuffer(chain(8), node)).not.toThrow();
    expect(failure(chain(9), node)).toMatch(/Node(\.child){9}: tables nested deeper than 8/);
    expect(failure(chain(3), node, 2)).toMatch(/nested deeper than 2/);
  });

  it('cannot be sent round in a cycle: uoffsets only point forward, and never at themselves', () => {
    const b = chain(1);
    const { table, fieldOffset } = rootLayout(b);
    const at = table + fieldOffset(0);
    // Pointing the child back at its parent takes a negative offset, which is past the end as a uoffset.
    expect(
      failure(
        patched(b, (v) => v.setUint32(at, (table - at) >>> 0, true)),
        node,
      ),
    ).toMatch(/past the end/);
    expect(
      failure(
        patched(b, (v) => v.setUint32(at, 0, true)),
        node,
      ),
    ).toMatch(/points into itself/);
  });

  it('stops aliasing (many offsets to one big Tuple) by its work budget', () => {
    const b = new Builder(4096);
    const key = b.createString('k'.repeat(2000));
    b.startObject(2);
    b.addFieldOffset(0, key, 0);
    const tuple = b.endObject();
    b.startVector(4, 200, 4);
    for (let i = 0; i < 200; i++) b.addOffset(tuple);
    const vector = b.endVector();
    b.startObject(10);
    b.addFieldOffset(9, vector, 0);
    b.finish(b.endObject());
    const aliased = b.asUint8Array();
    expect(failure(aliased)).toMatch(/Event.details\[\d+\].key: verification work exceeds \d+ units for a \d+-byte buffer/);
  });

  it('lets through many distinct details, which is linear work', () => {
    const b = new Builder(1 << 16);
    const tuples = Array.from({ length: 2000 }, (_, i) => {
      const k = b.createString(`key${i}`);
      const v = b.createString(`value${i}`);
      b.startObject(2);
      b.addFieldOffset(1, v, 0);
      b.addFieldOffset(0, k, 0);
      return b.endObject();
    });
    const vector = Event.createDetailsVector(b, tuples);
    b.startObject(10);
    b.addFieldOffset(9, vector, 0);
    b.finish(b.endObject());
    const decoded = decodeFlatBuffer({ type: 'Event', obj: base64(b.asUint8Array()) }, fb('emitter-2020'));
    expect(Object.keys(decoded.details)).toHaveLength(2000);
    expect(decoded.details.key1999).toBe('value1999');
  });
});
