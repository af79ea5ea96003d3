// Hostile request bodies for `npm run chaos -- hostile`, each with what the relay may answer:
//   invalid   never accepted (200 accepted/duplicate); quarantined, a coded 4xx or 503 are fine
//   any       whatever the decoder makes of it, but 200 accepted means stored (looked up after)
//   valid     200 accepted/duplicate (or 503), then found stored as sent
//   unauth    401 or 429, never anything stored
//   too-large 413 KCR_ERR_BODY_TOO_LARGE
// Mutations start from real emitter captures (../shared/fixtures/real-emitter, when present beside
// the repository) or else from the repository's golden FlatBuffers (test/fixtures/golden).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UidSource } from '../lib/payloads.mjs';
import { describeEvent, jsonBody } from './bodies.mjs';

/** Emitter-2018 bodies to mutate: { format, body }; the relay runs FLATBUFFERS_SCHEMA=emitter-2018. */
export function loadSeeds(root) {
  const captures = join(root, '..', 'shared', 'fixtures', 'real-emitter', 'emitter-8.0.1-1.0');
  if (existsSync(captures)) {
    const seeds = readdirSync(captures)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(captures, f), 'utf8')))
      .map((c) => ({ format: c.format === 'FLATBUFFER' ? 'flatbuffer' : 'json', body: Buffer.from(c.bodyBase64, 'base64') }));
    return { source: 'real emitter captures (emitter-8.0.1-1.0)', seeds };
  }
  const golden = join(root, 'test', 'fixtures', 'golden');
  const seeds = readdirSync(golden)
    .filter((f) => f.startsWith('emitter-2018--') && !f.includes('--from-'))
    .map((f) => JSON.parse(readFileSync(join(golden, f), 'utf8')))
    .map((g) => ({ format: 'flatbuffer', body: Buffer.from(JSON.stringify({ type: g.type, obj: g.obj })) }));
  return { source: 'golden FlatBuffers (test/fixtures/golden; ../shared/fixtures absent)', seeds };
}

const uids = new UidSource(2, 9);
let index = 0;

/** A valid JSON LOGIN event with a fresh uid; `edit` may change its fields before it is encoded. */
function validEvent(edit = (fields) => fields) {
  const uid = uids.next();
  const event = describeEvent(uid, 'event', 'LOGIN', index++);
  const text = jsonBody(event).toString('latin1');
  return { uid: event.uid, text: edit(text), event };
}

function mutate(prng, bytes, edits) {
  const copy = Buffer.from(bytes);
  for (let i = 0; i < edits; i++) copy[prng.int(0, copy.length - 1)] = prng.int(0, 255);
  return copy;
}

function flatbufferOf(seed) {
  try {
    const wrapper = JSON.parse(seed.body.toString('utf8'));
    return { type: wrapper.type, obj: Buffer.from(wrapper.obj, 'base64') };
  } catch {
    return null;
  }
}

const wrap = (type, obj) => Buffer.from(JSON.stringify({ type, obj: obj.toString('base64') }));

/** The generators, by name: (prng, ctx) => { expect, body, authorization?, check? }. */
export function generators({ seeds, bodyLimit }) {
  const fbSeeds = seeds.map(flatbufferOf).filter(Boolean);
  const jsonSeeds = seeds.filter((s) => s.format === 'json');
  const g = {
    'random bytes': (p) => ({ expect: 'invalid', body: p.bytes(p.int(1, 4096)) }),
    'truncated FlatBuffer': (p) => {
      const fb = p.pick(fbSeeds);
      return { expect: 'any', body: wrap(fb.type, fb.obj.subarray(0, p.int(0, fb.obj.length - 1))) };
    },
    'mutated FlatBuffer': (p) => {
      const fb = p.pick(fbSeeds);
      return { expect: 'any', body: wrap(fb.type, mutate(p, fb.obj, p.int(1, 8))) };
    },
    'mutated body bytes': (p) => ({ expect: 'any', body: mutate(p, p.pick(seeds).body, p.int(1, 8)) }),
    'deep nesting': (p) => {
      const depth = p.int(1_000, 200_000);
      const open = p.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      return { expect: 'invalid', body: Buffer.from(`{"type":"LOGIN","details":${open.repeat(depth)}1${close.repeat(depth)},"uid":1}`) };
    },
    'huge number in details': (p) => {
      const digits = `${p.int(1, 9)}${'0'.repeat(p.int(300, 200_000))}`;
      const v = validEvent((t) => t.replace('"details":{', `"details":{"n":${digits},`));
      return { expect: 'valid', body: Buffer.from(v.text, 'latin1'), uid: v.uid, detail: ['n', digits] };
    },
    'huge number as time': (p) => {
      const v = validEvent((t) => t.replace(/"time":\d+/, `"time":1${'0'.repeat(p.int(20, 5_000))}`));
      return { expect: 'invalid', body: Buffer.from(v.text, 'latin1') };
    },
    'uid of the wrong type': (p) => {
      const uid = p.pick([
        '"abc"',
        '1.5',
        '-5',
        '18446744073709551616',
        '-9223372036854775809',
        '1e19',
        'true',
        '[]',
        '{}',
        '""',
        '"0x10"',
      ]);
      const v = validEvent((t) => t.replace(/"uid":\d+/, `"uid":${uid}`));
      return { expect: 'invalid', body: Buffer.from(v.text, 'latin1') };
    },
    'invalid UTF-8': (p) => {
      const junk = p.pick(['\xc3\x28', '\xff\xfe', '\xed\xa0\x80', '\xf0\x28\x8c\x28', '\xc0\xaf']);
      const v = validEvent((t) => t.replace('"realmId":"chaos"', `"realmId":"ch${junk}aos"`));
      return { expect: 'any', body: Buffer.from(v.text, 'latin1') };
    },
    'JSON capture, mutated': (p) => ({ expect: 'any', body: mutate(p, p.pick(jsonSeeds.length ? jsonSeeds : seeds).body, p.int(1, 4)) }),
    'body at BODY_LIMIT': () => {
      const v = validEvent();
      return {
        expect: 'valid',
        body: Buffer.from(v.text.slice(0, -1) + ' '.repeat(bodyLimit - v.text.length) + '}', 'latin1'),
        uid: v.uid,
      };
    },
    'body just over BODY_LIMIT': () => {
      const v = validEvent();
      return { expect: 'too-large', body: Buffer.from(v.text.slice(0, -1) + ' '.repeat(bodyLimit - v.text.length + 1) + '}', 'latin1') };
    },
    'wrong or missing auth': (p) => {
      const v = validEvent();
      const authorization = p.pick([
        null,
        'Basic !!!',
        'Bearer abc',
        `Basic ${Buffer.from('kc-node-1:wrong').toString('base64')}`,
        'Basic',
        `Basic ${Buffer.from('no-colon').toString('base64')}`,
      ]);
      return { expect: 'unauth', body: Buffer.from(v.text, 'latin1'), authorization, uid: v.uid };
    },
    'valid event (control)': () => {
      const v = validEvent();
      return { expect: 'valid', body: Buffer.from(v.text, 'latin1'), uid: v.uid };
    },
  };
  // Weights: cheap, varied bodies often; large ones (deep nesting, BODY_LIMIT) now and then.
  const weights = {
    'random bytes': 3,
    'truncated FlatBuffer': 3,
    'mutated FlatBuffer': 4,
    'mutated body bytes': 3,
    'deep nesting': 1,
    'huge number in details': 1,
    'huge number as time': 1,
    'uid of the wrong type': 2,
    'invalid UTF-8': 2,
    'JSON capture, mutated': 2,
    'body at BODY_LIMIT': 0.3,
    'body just over BODY_LIMIT': 0.3,
    'wrong or missing auth': 2,
    'valid event (control)': 2,
  };
  const table = Object.entries(weights);
  const total = table.reduce((n, [, w]) => n + w, 0);
  return (prng) => {
    let r = prng.float() * total;
    for (const [name, w] of table) {
      r -= w;
      if (r < 0) return { category: name, ...g[name](prng) };
    }
    return { category: 'valid event (control)', ...g['valid event (control)'](prng) };
  };
}
