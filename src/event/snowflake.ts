// The emitter's uid: a signed 64-bit snowflake (cloudtrust IdGenerator layout).
//   bits 63..22  ms since 2015-01-01T00:00:00Z   bits 21..20  datacenterId
//   bits 19..15  keycloakId                      bits 14..0   per-ms sequence
// A uid from 2020 on exceeds 2^59, so it is a bigint from the wire to the decimal string: never a JS number.
import { Snowflake } from '@sapphire/snowflake';
import { KCR_ERR_UID_INVALID } from '../errors.js';

export const UID_EPOCH_MS = 1_420_070_400_000;
const EPOCH = BigInt(UID_EPOCH_MS);

const TIME_SHIFT = 22n;
const DATACENTER_SHIFT = 20n;
const KEYCLOAK_SHIFT = 15n;
const DATACENTER_MASK = 0b11n;
const KEYCLOAK_MASK = 0b11111n;
const SEQUENCE_MASK = 0x7fffn;

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;
/** The time field is 42 signed bits: this is the range of ms offsets from the epoch. */
const TIME_OFFSET_MIN = -(2 ** 41);
const TIME_OFFSET_MAX = 2 ** 41 - 1;

export interface UidFields {
  /** Unix epoch ms (not ms since the snowflake epoch); negative offsets give times before 2015. */
  timeMs: number;
  datacenterId: number;
  keycloakId: number;
  sequence: number;
}

// Canonical decimal only: one spelling per uid, no '+', no exponent or fraction, no leading zeros.
const DECIMAL_INT = /^-?(?:0|[1-9][0-9]*)$/;
// 19 digits and a sign bound every int64: longer text is refused before BigInt() sees it.
const MAX_TEXT_LENGTH = 20;

export function parseUid(text: string): bigint {
  if (text.length === 0) throw KCR_ERR_UID_INVALID('empty');
  if (!DECIMAL_INT.test(text)) throw KCR_ERR_UID_INVALID(whyNotDecimal(text));
  if (text.length > MAX_TEXT_LENGTH) throw KCR_ERR_UID_INVALID('out of the signed 64-bit range');
  const uid = BigInt(text);
  if (uid < INT64_MIN || uid > INT64_MAX) throw KCR_ERR_UID_INVALID('out of the signed 64-bit range');
  return uid;
}

function whyNotDecimal(text: string): string {
  if (text.startsWith('+')) return 'a leading "+" is not allowed';
  if (/^-?[0-9]+$/.test(text)) return 'leading zeros are not allowed';
  if (/^-?[0-9.]*[eE]/.test(text)) return 'an exponent is not allowed';
  if (/^-?[0-9]*\./.test(text)) return 'a fraction is not allowed';
  return 'not a decimal integer';
}

export function uidToDecimal(uid: bigint): string {
  return uid.toString(10);
}

export function uidFields(uid: bigint): UidFields {
  return {
    // BigInt >> is an arithmetic shift, so a negative uid gives a negative (pre-epoch) offset.
    timeMs: UID_EPOCH_MS + Number(uid >> TIME_SHIFT),
    datacenterId: Number((uid >> DATACENTER_SHIFT) & DATACENTER_MASK),
    keycloakId: Number((uid >> KEYCLOAK_SHIFT) & KEYCLOAK_MASK),
    sequence: Number(uid & SEQUENCE_MASK),
  };
}

/** Inverse of uidFields; a field out of its bit range is a programming error (RangeError). */
export function composeUid(fields: UidFields): bigint {
  const offset = fields.timeMs - UID_EPOCH_MS;
  checkRange('timeMs - epoch', offset, TIME_OFFSET_MIN, TIME_OFFSET_MAX);
  checkRange('datacenterId', fields.datacenterId, 0, Number(DATACENTER_MASK));
  checkRange('keycloakId', fields.keycloakId, 0, Number(KEYCLOAK_MASK));
  checkRange('sequence', fields.sequence, 0, Number(SEQUENCE_MASK));
  return (
    (BigInt(offset) << TIME_SHIFT) |
    (BigInt(fields.datacenterId) << DATACENTER_SHIFT) |
    (BigInt(fields.keycloakId) << KEYCLOAK_SHIFT) |
    BigInt(fields.sequence)
  );
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

export interface UidAssignerOptions {
  /** This relay instance's id, 0–31 (RELAY_WORKER_ID): replicas sharing a store need distinct ids. */
  workerId: number;
  /** Which of the replica's relay processes (WORKERS) this is, 0–63; 0 when there is one. */
  processIndex?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

// @sapphire/snowflake lays out time<<22 | workerId<<17 | processId<<12 | increment(12 bits). The time
// field matches the emitter's, so time buckets and checkUidTime treat assigned uids like emitted ones.
// processId always has bit 2 set (bit 14 of the uid): read with the emitter layout, an assigned uid
// has a sequence >= 16384, which the emitter never reaches (its sequence restarts at 0 every ms and
// counts events of one Keycloak node in that ms), so an assigned uid cannot collide with an emitted one.
// The replica's processes (WORKERS) share RELAY_WORKER_ID, so the process index takes the other bits:
// its low 4 bits the rest of processId, its high 2 bits the top of the increment, which leaves each
// process 1,024 uids per ms (a million a second, far above what one process ingests).
const ASSIGNED_MARKER_PROCESS_ID = 0b00100n;
const MAX_INCREMENT = 1023;
const INCREMENT_BITS = 10n;

/** processId and the increment's top bits of a process index: distinct for each of 0..63. */
function processBits(index: number): { processId: bigint; incrementHigh: bigint } {
  const i = BigInt(index);
  return {
    processId: ASSIGNED_MARKER_PROCESS_ID | (i & 0b11n) | (((i >> 2n) & 0b11n) << 3n),
    incrementHigh: (i >> 4n) << INCREMENT_BITS,
  };
}

/**
 * Assigns uids to bodies that arrived without one. Uids are strictly increasing per instance:
 * the clock going backwards reuses the last ms, and more than 1,024 uids in one ms borrow the next ms.
 */
export class UidAssigner {
  static readonly MAX_WORKER_ID = 31;
  static readonly MAX_PROCESS_INDEX = 63;

  readonly #snowflake = new Snowflake(EPOCH);
  readonly #workerId: bigint;
  readonly #processId: bigint;
  readonly #incrementHigh: bigint;
  readonly #now: () => number;
  #lastMs = Number.NEGATIVE_INFINITY;
  #increment = 0;

  constructor(options: UidAssignerOptions) {
    checkRange('workerId', options.workerId, 0, UidAssigner.MAX_WORKER_ID);
    const index = options.processIndex ?? 0;
    checkRange('processIndex', index, 0, UidAssigner.MAX_PROCESS_INDEX);
    this.#workerId = BigInt(options.workerId);
    ({ processId: this.#processId, incrementHigh: this.#incrementHigh } = processBits(index));
    this.#now = options.now ?? Date.now;
  }

  next(): bigint {
    const now = this.#now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#increment = 0;
    } else if (++this.#increment > MAX_INCREMENT) {
      this.#lastMs += 1;
      this.#increment = 0;
    }
    return this.#snowflake.generate({
      timestamp: BigInt(this.#lastMs),
      workerId: this.#workerId,
      processId: this.#processId,
      increment: this.#incrementHigh | BigInt(this.#increment),
    });
  }
}
