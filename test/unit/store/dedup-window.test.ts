// Where a uid is remembered and for how long (DEDUP_WINDOW): hour buckets of its snowflake time,
// kept for the window after the bucket's end, and late uids for the grace only.
import { describe, expect, it } from 'vitest';
import { BUCKET_MS, LATE_GRACE_MS, placeUid } from '../../../src/store/dedup-window.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.parse('2026-03-10T12:30:00Z');

describe('placeUid', () => {
  it('buckets uids by the hour of their time', () => {
    expect(BUCKET_MS).toBe(HOUR);
    const a = placeUid(Date.parse('2026-03-10T12:00:00Z'), now, 7 * DAY);
    const b = placeUid(Date.parse('2026-03-10T12:59:59.999Z'), now, 7 * DAY);
    const c = placeUid(Date.parse('2026-03-10T13:00:00Z'), now, 7 * DAY);
    expect(a.bucket).toBe(b.bucket);
    expect(c.bucket).toBe(a.bucket + 1);
    expect(a.bucket).toBe(Date.parse('2026-03-10T12:00:00Z') / HOUR);
  });

  it("keeps a bucket for the window after the bucket's last uid", () => {
    const placed = placeUid(Date.parse('2026-03-10T12:10:00Z'), now, 7 * DAY);
    expect(placed.late).toBe(false);
    expect(placed.expireAtMs).toBe(Date.parse('2026-03-10T13:00:00Z') + 7 * DAY);
  });

  it('calls a uid older than the window late, and remembers it for the grace from now', () => {
    const placed = placeUid(now - 7 * DAY - 1, now, 7 * DAY);
    expect(placed.late).toBe(true);
    expect(placed.expireAtMs).toBe(now + LATE_GRACE_MS);
    expect(placeUid(now - 7 * DAY, now, 7 * DAY).late).toBe(false);
  });

  it('never expires a bucket sooner than the grace, even with a short window', () => {
    const placed = placeUid(now, now, 1_000);
    expect(placed.expireAtMs).toBe(Math.max(Date.parse('2026-03-10T13:00:00Z') + 1_000, now + LATE_GRACE_MS));
    expect(placed.expireAtMs).toBe(now + LATE_GRACE_MS);
  });
});
