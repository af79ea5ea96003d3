// parseJsonBodyFast must be parseJsonBody, only cheaper: the same object (uid source text included)
// or the same refusal, on every text. The properties throw texts of every kind at both: emitter
// bodies, uids of every shape and spelling, nesting on both sides of the fast path's depth, huge
// numbers, duplicated and escaped keys, random JSON and mutations of it.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseJsonBodyFast } from '../../../../src/decode/json-body-fast.js';
import { parseJsonBody } from '../../../../src/decode/json-body.js';
import { KcrError } from '../../../../src/errors.js';
import { INT64_MAX, INT64_MIN } from '../../../../src/event/snowflake.js';
import * as fixtures from './fixtures.js';

// Counts the texts the fast path hands to parseJsonBody, which stays the reference implementation.
const slowCalls = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../../src/decode/json-body.js', async (importActual) => {
  const actual = await importActual<typeof import('../../../../src/decode/json-body.js')>();
  return {
    ...actual,
    parseJsonBody: (text: string) => {
      slowCalls.count += 1;
      return actual.parseJsonBody(text);
    },
  };
});
afterEach(() => {
  slowCalls.count = 0;
});

type Outcome = { value: unknown; order: string } | { code: string; message: string };

function outcome(parse: (text: string) => unknown, text: string): Outcome {
  try {
    const value = parse(text);
    // isDeepStrictEqual ignores key order; the stored event keeps it, so it is compared too.
    return { value, order: JSON.stringify(value) };
  } catch (err) {
    if (!(err instanceof KcrError)) throw err;
    return { code: err.code, message: err.message };
  }
}

const sameOutcome = (text: string): void => {
  const slow = outcome(parseJsonBody, text);
  const fast = outcome(parseJsonBodyFast, text);
  if (!isDeepStrictEqual(fast, slow)) {
    expect.fail(
      `differs on ${JSON.stringify(text.slice(0, 300))}:\nfast ${JSON.stringify(fast).slice(0, 300)}\nslow ${JSON.stringify(slow).slice(0, 300)}`,
    );
  }
};

// JSON text built piece by piece, so that numbers keep any spelling (JSON.stringify cannot write an
// int64 or "1.0E3") and keys any escaping.
const ws = fc.constantFrom('', '', ' ', '\n', '\t', '\r\n  ');
const numberText = fc.oneof(
  fc.bigInt({ min: INT64_MIN * 4n, max: INT64_MAX * 4n }).map(String),
  fc.integer().map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map(String)
    .filter((s) => !s.includes('Infinity')),
  fc.constantFrom(
    '0',
    '-0',
    '1.0',
    '1.0E3',
    '1e2',
    '-1E-7',
    '7311288319461113857.0',
    '1e400',
    '-1e400',
    '9'.repeat(299),
    '9'.repeat(301),
    '9'.repeat(400),
    `0.${'1'.repeat(400)}`,
  ),
);
const uidKey = fc.constantFrom('"uid"', '"\\u0075id"', '"u\\u0069d"', '"\\u0055ID"', '"uid "', '"Uid"', '"ui"', '"uidd"', '"\\\\uid"');
const plainKey = fc.oneof(
  fc.constantFrom('"time"', '"type"', '"details"', '"obj"', '"realmId"', '"__proto__"', '"a\\"b"', '"\\\\"'),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
);
const stringText = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom('"\\""', '"\\\\"', '"\\\\\\""', '"{\\"uid\\":1}"', '"uid"', '"\\u0000"'),
);

const valueText: fc.Memo<string> = fc.memo((n) =>
  n <= 1
    ? fc.oneof(numberText, stringText, fc.constantFrom('true', 'false', 'null'))
    : fc.oneof(
        { weight: 3, arbitrary: valueText(1) },
        {
          weight: 1,
          arbitrary: fc.array(valueText(n - 1), { maxLength: 4 }).chain((items) => ws.map((w) => `[${w}${items.join(`,${w}`)}${w}]`)),
        },
        { weight: 2, arbitrary: objectText(n - 1) },
      ),
);

function objectText(n: number): fc.Arbitrary<string> {
  const member = fc.tuple(fc.oneof(uidKey, plainKey), ws, valueText(n)).map(([k, w, v]) => `${k}${w}:${w}${v}`);
  return fc.tuple(fc.array(member, { maxLength: 6 }), ws).map(([members, w]) => `{${w}${members.join(`${w},`)}${w}}`);
}

const wrapIn = (depth: number, inner: string, open = '[', close = ']'): string => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

describe("parseJsonBodyFast gives parseJsonBody's result or refusal", () => {
  it('on every emitter body of the fixtures, without falling back to parseJsonBody', () => {
    const bodies = Object.values(fixtures as Record<string, unknown>).filter((v): v is string => typeof v === 'string');
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) sameOutcome(body);
    const before = slowCalls.count;
    for (const body of bodies) expect(typeof parseJsonBodyFast(body).uid).toBe('string');
    expect(slowCalls.count).toBe(before);
  });

  it('on objects with uids of every shape and spelling, at any depth, duplicated or escaped', () => {
    fc.assert(fc.property(objectText(3), sameOutcome), { numRuns: 3000 });
  });

  it('on a top-level uid of every number spelling', () => {
    fc.assert(
      fc.property(numberText, ws, fc.boolean(), (uid, w, first) => {
        const text = first ? `{${w}"uid"${w}:${w}${uid}${w},"type":"LOGIN"}` : `{"type":"LOGIN",${w}"uid":${uid}${w}}`;
        sameOutcome(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON values and on arbitrary text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => sameOutcome(JSON.stringify(v) ?? 'null')),
      { numRuns: 1000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), sameOutcome), { numRuns: 1000 });
  });

  it('on mutations of valid bodies (a character deleted, inserted or replaced)', () => {
    const mutation = fc.tuple(
      objectText(3),
      fc.nat(),
      fc.constantFrom('delete', 'insert', 'replace'),
      fc.constantFrom(...'{}[]",:\\-0123456789eE.uid \n'),
    );
    fc.assert(
      fc.property(mutation, ([text, at, how, c]) => {
        const i = text.length === 0 ? 0 : at % text.length;
        const mutated =
          how === 'delete'
            ? text.slice(0, i) + text.slice(i + 1)
            : how === 'insert'
              ? text.slice(0, i) + c + text.slice(i)
              : text.slice(0, i) + c + text.slice(i + 1);
        sameOutcome(mutated);
      }),
      { numRuns: 3000 },
    );
  });

  it("on nesting on both sides of the fast path's depth, and far too deep for the reviver", () => {
    for (const depth of [1, 2, 30, 31, 32, 33, 100]) {
      sameOutcome(`{"uid":1,"a":${wrapIn(depth, '1')}}`);
      sameOutcome(`{"uid":2,"a":${wrapIn(depth, '{"uid":3}', '{"x":', '}')}}`);
    }
    const deep = `{"a":${wrapIn(500_000, '')}}`;
    sameOutcome(deep);
    expect(outcome(parseJsonBodyFast, deep)).toMatchObject({
      code: 'KCR_ERR_BODY_NOT_JSON',
      message: expect.stringContaining('nested too deeply'),
    });
  });

  it('on numbers that overflow a double, wherever they are', () => {
    for (const huge of ['1e400', '-1e999', '9'.repeat(400), `${'9'.repeat(400)}.5`]) {
      sameOutcome(`{"type":"LOGIN","details":{"n":${huge}},"uid":1}`);
      sameOutcome(`{"uid":${huge}}`);
      sameOutcome(`{"other":[${huge}]}`);
    }
  });
});
