import { describe, expect, it } from 'vitest';
import { KcrError } from '../../../src/errors.js';
import { composeUid, UID_EPOCH_MS } from '../../../src/event/snowflake.js';
import { checkUidTime } from '../../../src/validate/uid-time.js';

const uidAt = (timeMs: number) => composeUid({ timeMs, datacenterId: 1, keycloakId: 2, sequence: 3 });
const codeOf = (fn: () => void): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(KcrError);
    return (err as KcrError).code;
  }
};

describe('checkUidTime', () => {
  const now = Date.parse('2025-03-01T10:00:00.000Z');
  const skew = 300_000;

  it('accepts past and slightly-future uids, up to the skew exactly', () => {
    expect(codeOf(() => checkUidTime(uidAt(now - 86_400_000), now, skew))).toBeNull();
    expect(codeOf(() => checkUidTime(uidAt(now + skew), now, skew))).toBeNull();
  });

  it('refuses a uid more than the skew in the future, saying when', () => {
    expect(codeOf(() => checkUidTime(uidAt(now + skew + 1), now, skew))).toBe('KCR_ERR_UID_FUTURE');
    const far = () => checkUidTime(uidAt(Date.parse('2070-03-28T07:29:32.527Z')), now, skew);
    expect(far).toThrow(/2070-03-28T07:29:32\.527Z is more than 300000 ms in the future/);
  });

  it('refuses negative uids (time before 2015-01-01) and accepts the epoch itself', () => {
    expect(codeOf(() => checkUidTime(-1n, now, skew))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
    expect(codeOf(() => checkUidTime(-(2n ** 63n), now, skew))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
    expect(codeOf(() => checkUidTime(uidAt(UID_EPOCH_MS - 1), now, skew))).toBe('KCR_ERR_UID_BEFORE_EPOCH');
    expect(codeOf(() => checkUidTime(0n, now, skew))).toBeNull();
  });
});
