// Zod schemas shared by the routes: one uid, one `limit`, one error shape. The routes' schemas are
// both their validation (fastify-type-provider-zod) and their part of GET /openapi.json.
import { z } from 'zod';
import { KcrError } from '../errors.js';
import { parseUid } from '../event/snowflake.js';

/** A uid in a path, query or body: a canonical decimal signed 64-bit integer in a string, never a JS number. */
export const uid = z
  .string()
  .transform((text, ctx): bigint => {
    try {
      return parseUid(text);
    } catch (err) {
      if (!(err instanceof KcrError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
      return z.NEVER;
    }
  })
  .meta({
    description: 'Snowflake uid: a signed 64-bit integer in canonical decimal (no "+", no leading zeros), as a string',
    example: '8731405176301674496',
  });

/**
 * The schema of an answer whose type lives in the domain (`T`): the fields listed are documented and
 * checked, any other field of `T` passes through untouched (a field added to the domain is never
 * silently dropped from the answer).
 */
export const loose =
  <T>() =>
  <S extends z.ZodRawShape>(shape: S): z.ZodType<T> =>
    z.looseObject(shape) as unknown as z.ZodType<T>;

/** A uid as the relay writes it in an answer. */
export const uidText = z.string().meta({ description: 'Snowflake uid, signed 64-bit, decimal', example: '8731405176301674496' });

/** `?limit=N`: an integer clamped to [1, max], `fallback` when absent or not a number. */
export function limit(fallback: number, max: number) {
  return z
    .string()
    .optional()
    .transform((text) => {
      const n = Math.trunc(Number(text ?? fallback));
      return n ? Math.min(Math.max(n, 1), max) : fallback;
    })
    .meta({ description: `How many to list: 1 to ${max} (beyond that, clamped); ${fallback} when absent` });
}

/** Every error answer but the back-channel logout's. */
export const errorBody = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable machine-readable code, KCR_ERR_* (README, "Error codes")', example: 'KCR_ERR_NOT_FOUND' }),
    message: z.string(),
  }),
});

/** The error answers of a route, status -> what it means (the codes it may carry). */
export function errors(byStatus: Record<number, string>): Record<number, z.ZodType> {
  return Object.fromEntries(Object.entries(byStatus).map(([status, description]) => [status, errorBody.describe(description)]));
}

/** A JSON answer, documented with `description`. */
export const described = <T extends z.ZodType>(schema: T, description: string): T => schema.describe(description);

/** A non-JSON answer: documented by its content type; the route sends a string or bytes, never serialized. */
export function textBody(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: z.string() } } };
}
