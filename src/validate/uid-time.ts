// Plausibility of a uid's time field against the relay's clock. A uid far in the future would sit at
// the head of time-ordered storage and outlive every dedup window; one before the snowflake epoch
// cannot come from the emitter, whose ids start at 2015-01-01.
import { KCR_ERR_UID_BEFORE_EPOCH, KCR_ERR_UID_FUTURE } from '../errors.js';
import { uidFields } from '../event/snowflake.js';

/**
 * Throws KCR_ERR_UID_BEFORE_EPOCH for a negative uid (its time bits are negative: before
 * 2015-01-01T00:00:00Z; the epoch instant itself is accepted, the rule is exact rather than a guessed
 * "earliest plausible" date) and KCR_ERR_UID_FUTURE for a time more than maxFutureSkewMs after nowMs.
 */
export function checkUidTime(uid: bigint, nowMs: number, maxFutureSkewMs: number): void {
  if (uid < 0n) throw KCR_ERR_UID_BEFORE_EPOCH();
  const { timeMs } = uidFields(uid);
  if (timeMs > nowMs + maxFutureSkewMs) {
    throw KCR_ERR_UID_FUTURE(new Date(timeMs).toISOString(), maxFutureSkewMs);
  }
}
