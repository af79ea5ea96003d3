// Golden payloads built by test/fixtures/make-golden.py (Python flatbuffers Builder and flatc -b),
// independently of the decoder under test: every one must decode to exactly its expected fields.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFlatBuffer } from '../../../../src/decode/flatbuffer/decode-flatbuffer.js';
import { SCHEMA_PROFILES } from '../../../../src/event/canonical.js';
import { comparable, GOLDEN_DIR, guardRuntimeReads, loadGoldens, ROOT, settingsOf } from '../../../support/flatbuffer-goldens.js';

const goldens = loadGoldens();
const PYTHON = '/usr/bin/python3';
const pythonHasFlatbuffers = spawnSync(PYTHON, ['-c', 'import flatbuffers'], { stdio: 'ignore' }).status === 0;
const restore = guardRuntimeReads();
afterAll(restore);

describe('golden FlatBuffer payloads', () => {
  it('cover every profile, both kinds, both encoders and cross-layout bodies', () => {
    for (const profile of SCHEMA_PROFILES) {
      const mine = goldens.filter((g) => g.profile === profile);
      expect(
        mine.some((g) => g.type === 'Event'),
        profile,
      ).toBe(true);
      expect(
        mine.some((g) => g.type === 'AdminEvent' && g.expected.authDetails !== null),
        profile,
      ).toBe(true);
      expect(
        mine.some((g) => g.expected.schema !== profile),
        profile,
      ).toBe(true);
    }
    expect(goldens.filter((g) => g.encoder.startsWith('flatc')).length).toBeGreaterThanOrEqual(3);
  });

  it.each(goldens.map((g) => [g.name, g] as const))('%s', (_name, g) => {
    expect(comparable(decodeFlatBuffer({ type: g.type, obj: g.obj }, settingsOf(g)))).toEqual(g.expected);
  });

  it('keeps every bit of a uid above 2^62', () => {
    const g = goldens.find((x) => x.name === 'emitter-2018--event-login-error-high-uid')!;
    const { uid } = decodeFlatBuffer({ type: g.type, obj: g.obj }, settingsOf(g));
    expect(uid).toBe(BigInt(g.expected.uid!));
    expect(uid! > 1n << 62n && uid! % 2n === 1n).toBe(true);
    // What a double would have made of it: the reason uids never pass through a JS number.
    expect(BigInt(Number(uid))).not.toBe(uid);
  });
});

describe('make-golden.py', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it.skipIf(!pythonHasFlatbuffers)(
    `regenerates the checked-in fixtures byte for byte (skipped: ${PYTHON} lacks the flatbuffers module, Debian python3-flatbuffers)`,
    () => {
      const out = mkdtempSync(join(tmpdir(), 'kcr-golden-'));
      dirs.push(out);
      execFileSync(PYTHON, [join(ROOT, 'test', 'fixtures', 'make-golden.py'), '--out', out], { stdio: 'pipe' });
      const regenerated = readdirSync(out).sort();
      // Without flatc 2.0.8 the flatc--* fixtures are not rewritten: compare the others only.
      const flatcRan = regenerated.some((f) => f.startsWith('flatc--'));
      const checkedIn = readdirSync(GOLDEN_DIR)
        .filter((f) => flatcRan || !f.startsWith('flatc--'))
        .sort();
      expect(regenerated).toEqual(checkedIn);
      for (const file of regenerated) {
        expect(readFileSync(join(out, file), 'utf8'), file).toBe(readFileSync(join(GOLDEN_DIR, file), 'utf8'));
      }
    },
  );
});
