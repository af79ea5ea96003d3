// Table layouts (slot order and kinds) of the emitter's FlatBuffers, as descriptors for the verifier.
// Only two layouts ever existed: emitter-2020 added AdminEvent.details at slot 4 (shifting the later
// slots) and AuthDetails.username at slot 3. Event and Tuple never changed. Slot order must match
// schema/*.fbs, which test/unit/decode/flatbuffer/layouts.test.ts checks.
import type { SlotDescriptor, TableDescriptor } from './verifier.js';

export type LayoutName = 'emitter-2018' | 'emitter-2020';

export interface Layout {
  readonly name: LayoutName;
  readonly event: TableDescriptor;
  readonly adminEvent: TableDescriptor;
}

const str = (name: string): SlotDescriptor => ({ name, kind: 'string' });

const TUPLE: TableDescriptor = { name: 'Tuple', slots: [str('key'), str('value')] };

const EVENT: TableDescriptor = {
  name: 'Event',
  slots: [
    { name: 'uid', kind: 'int64' },
    { name: 'time', kind: 'int64' },
    { name: 'type', kind: 'int8' },
    str('realmId'),
    str('clientId'),
    str('userId'),
    str('sessionId'),
    str('ipAddress'),
    str('error'),
    { name: 'details', kind: 'vector-of-tables', table: TUPLE },
  ],
};

const AUTH_DETAILS_2018: TableDescriptor = {
  name: 'AuthDetails',
  slots: [str('realmId'), str('clientId'), str('userId'), str('ipAddress')],
};

const AUTH_DETAILS_2020: TableDescriptor = {
  name: 'AuthDetails',
  slots: [str('realmId'), str('clientId'), str('userId'), str('username'), str('ipAddress')],
};

export const LAYOUT_2018: Layout = {
  name: 'emitter-2018',
  event: EVENT,
  adminEvent: {
    name: 'AdminEvent',
    slots: [
      { name: 'uid', kind: 'int64' },
      { name: 'time', kind: 'int64' },
      str('realmId'),
      { name: 'authDetails', kind: 'table', table: AUTH_DETAILS_2018 },
      { name: 'resourceType', kind: 'int8' },
      { name: 'operationType', kind: 'int8' },
      str('resourcePath'),
      str('representation'),
      str('error'),
    ],
  },
};

export const LAYOUT_2020: Layout = {
  name: 'emitter-2020',
  event: EVENT,
  adminEvent: {
    name: 'AdminEvent',
    slots: [
      { name: 'uid', kind: 'int64' },
      { name: 'time', kind: 'int64' },
      str('realmId'),
      { name: 'authDetails', kind: 'table', table: AUTH_DETAILS_2020 },
      { name: 'details', kind: 'vector-of-tables', table: TUPLE },
      { name: 'resourceType', kind: 'int8' },
      { name: 'operationType', kind: 'int8' },
      str('resourcePath'),
      str('representation'),
      str('error'),
    ],
  },
};

/** Index of the slot named `name`; throws on a typo so that callers never index a missing slot. */
export function slotIndex(table: TableDescriptor, name: string): number {
  const index = table.slots.findIndex((slot) => slot.name === name);
  if (index < 0) throw new Error(`${table.name} has no slot ${name}`);
  return index;
}
