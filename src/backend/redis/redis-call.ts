// One path from a Redis failure to what callers see: KCR_ERR_STORE_UNAVAILABLE (the ingest answers
// 503, never 200), except a missing consumer group, KCR_ERR_NO_GROUP, which its consumer recreates.
import { KCR_ERR_NO_GROUP, KCR_ERR_STORE_UNAVAILABLE, KcrError } from '../../errors.js';

export async function redisCall<T>(fn: () => Promise<T>, group?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asStoreError(err, group);
  }
}

export function asStoreError(err: unknown, group?: string): KcrError {
  if (err instanceof KcrError) return err;
  const message = (err as Error).message;
  if (group !== undefined && message.startsWith('NOGROUP')) return KCR_ERR_NO_GROUP(group);
  return KCR_ERR_STORE_UNAVAILABLE(message);
}

/** Redis replies with errors whose first word is their kind (BUSYGROUP, NOGROUP, WRONGTYPE). */
export function replyErrorKind(err: unknown): string | null {
  return err instanceof Error && err.name === 'ReplyError' ? (err.message.split(' ')[0] ?? null) : null;
}

/** A stream entry as XRANGE, XREADGROUP and XCLAIM return it; fields are null once the bound trimmed it. */
export type RawEntry = [id: string, fields: string[] | null];

export function fieldsOf(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i] as string] = raw[i + 1] as string;
  return out;
}
