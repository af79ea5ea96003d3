// Where a uid is remembered and for how long: pure arithmetic on the uid's snowflake time, shared
// by every store so that they agree on what "a duplicate" and "late" mean.

/** Seen-uids are grouped by the hour of their snowflake time: one key per hour, expiring as a whole. */
export const BUCKET_MS = 3_600_000;

/** A late uid is still remembered this long, so that resend storms of it collapse into one. */
export const LATE_GRACE_MS = 3_600_000;

export interface DedupPlacement {
  bucket: number;
  /** Unix ms after which nobody needs this bucket: its last uid's time plus the window. */
  expireAtMs: number;
  /** The uid's time is older than the window: stored, flagged, remembered only for the grace. */
  late: boolean;
}

export function placeUid(uidTimeMs: number, nowMs: number, windowMs: number): DedupPlacement {
  const bucket = Math.floor(uidTimeMs / BUCKET_MS);
  const late = uidTimeMs < nowMs - windowMs;
  const bucketExpiry = (bucket + 1) * BUCKET_MS + windowMs;
  return { bucket, late, expireAtMs: Math.max(bucketExpiry, nowMs + LATE_GRACE_MS) };
}
