// The verifier's descriptors must match schema/*.fbs slot for slot: a drift would make the verifier
// check different bytes than the generated accessors read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYOUT_2018, LAYOUT_2020 } from '../../../../src/decode/flatbuffer/layouts.js';
import { PROFILES } from '../../../../src/decode/flatbuffer/profiles.js';
import type { TableDescriptor } from '../../../../src/decode/flatbuffer/verifier.js';
import { SCHEMA_PROFILES } from '../../../../src/event/canonical.js';
import { ROOT } from '../../../support/flatbuffer-goldens.js';

/** Each table's fields, in slot order, as "name:kind" in the descriptors' vocabulary. */
function tablesOf(schema: string): Map<string, string[]> {
  const text = schema.replace(/\/\/[^\n]*/g, '');
  const enums = new Set([...text.matchAll(/enum\s+(\w+)\s*:\s*byte/g)].map((m) => m[1]));
  const kind = (type: string): string => {
    if (type === 'long') return 'int64';
    if (type === 'string') return 'string';
    if (enums.has(type)) return 'int8';
    if (/^\[\w+\]$/.test(type)) return `vector-of-tables:${type.slice(1, -1)}`;
    return `table:${type}`;
  };
  return new Map(
    [...text.matchAll(/table\s+(\w+)\s*\{([^}]*)\}/g)].map((m) => [
      m[1]!,
      m[2]!
        .split(';')
        .map((f) => f.trim())
        .filter(Boolean)
        .map((f) => {
          const [name, type] = f.split(':').map((s) => s.trim());
          return `${name}:${kind(type!)}`;
        }),
    ]),
  );
}

const describeSlots = (table: TableDescriptor): string[] =>
  table.slots.map((s) =>
    s.kind === 'table' || s.kind === 'vector-of-tables' ? `${s.name}:${s.kind}:${s.table.name}` : `${s.name}:${s.kind}`,
  );

describe('layout descriptors', () => {
  it.each(SCHEMA_PROFILES)('match schema/%s.fbs', (profile) => {
    const tables = tablesOf(readFileSync(join(ROOT, 'schema', `${profile}.fbs`), 'utf8'));
    const { layout } = PROFILES[profile];
    expect(describeSlots(layout.event)).toEqual(tables.get('Event'));
    expect(describeSlots(layout.adminEvent)).toEqual(tables.get('AdminEvent'));
    const nested = (table: TableDescriptor, slot: string): TableDescriptor => {
      const found = table.slots.find((s) => s.name === slot);
      if (!found || !('table' in found)) throw new Error(`no nested table at ${slot}`);
      return found.table;
    };
    expect(describeSlots(nested(layout.adminEvent, 'authDetails'))).toEqual(tables.get('AuthDetails'));
    expect(describeSlots(nested(layout.event, 'details'))).toEqual(tables.get('Tuple'));
  });

  it('differ only in AdminEvent.details and AuthDetails.username', () => {
    expect(LAYOUT_2018.event).toBe(LAYOUT_2020.event);
    const names = (t: TableDescriptor) => t.slots.map((s) => s.name);
    expect(names(LAYOUT_2020.adminEvent).filter((n) => !names(LAYOUT_2018.adminEvent).includes(n))).toEqual(['details']);
  });
});
