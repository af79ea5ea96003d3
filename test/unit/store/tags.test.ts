// The store's tags (src/store/tags.ts): what ingest records of an event, and how a group created
// `only` for a tag decides, without parsing the event, that an entry is not its own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTag, encodeTags, lacksTag } from '../../../src/store/tags.js';

const tagName = fc.stringMatching(/^[a-zA-Z][\w.-]{0,11}$/).filter((t) => t !== 'uid' && t !== 'event');
const tagSets = fc.dictionary(tagName, fc.boolean(), { maxKeys: 6 });

describe('encodeTags and lacksTag', () => {
  it('an entry lacks exactly the tags recorded as false: never one recorded true, never one not recorded', () => {
    fc.assert(
      fc.property(tagSets, tagName, (tags, probe) => {
        const encoded = encodeTags(tags);
        for (const [tag, on] of Object.entries(tags)) expect(lacksTag(encoded, tag)).toBe(!on);
        // A tag the entry does not name is unknown: handed to the group, never skipped on a guess.
        if (!(probe in tags)) expect(lacksTag(encoded, probe)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('does not confuse a tag with another that contains it (logout, logout2, x.logout)', () => {
    const encoded = encodeTags({ logout2: false, 'x.logout': false, logout: true });
    expect(lacksTag(encoded, 'logout')).toBe(false);
    expect(lacksTag(encoded, 'logout2')).toBe(true);
    expect(lacksTag(encodeTags({ logout: false }), 'logout2')).toBe(false);
  });

  it('an entry written before tags (null) lacks nothing', () => {
    expect(lacksTag(null, 'logout')).toBe(false);
    expect(encodeTags({})).toBe('');
  });
});

describe('checkTag', () => {
  it("refuses names that would break the encoding or shadow an entry's own fields", () => {
    for (const bad of ['', '1st', 'a=b', 'a,b', 'uid', 'event', 'has space']) {
      expect(() => checkTag(bad), bad).toThrow(expect.objectContaining({ code: 'KCR_ERR_CONFIG' }));
    }
    expect(checkTag('f.3a9c-x_1')).toBe('f.3a9c-x_1');
  });
});
