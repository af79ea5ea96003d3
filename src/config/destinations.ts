// Forwarding destinations (DESTINATIONS / DESTINATIONS_FILE): a JSON array, validated once.
import { z } from 'zod';
import { parseDuration } from './duration.js';

const durationMs = z.union([
  z.number().int().positive(),
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 24h or 7d' });
      return z.NEVER;
    }
    return ms;
  }),
]);

/**
 * `user:password` of a destination URL with credentials, decoded: sent as HTTP Basic auth, as curl
 * does, rather than dropped (undici's origin has no userinfo). Null without; throws a URIError
 * on a malformed percent-encoding.
 */
export function urlCredentials(url: string): string | null {
  const { username, password } = new URL(url);
  if (username === '' && password === '') return null;
  return `${decodeURIComponent(username)}:${decodeURIComponent(password)}`;
}

const destination = z
  .object({
    // The name keys a Redis consumer group and a metrics label: keep it to safe characters.
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name: letters, digits, "_", "." or "-", at most 64'),
    url: z.url({ protocol: /^https?$/ }).refine(
      (url) => {
        try {
          urlCredentials(url);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'url: user and password must be percent-encoded (they are sent as Basic auth)' },
    ),
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/, 'secret must be "whsec_" followed by base64 (Standard Webhooks)')
      // Standard Webhooks' range: a shorter key is guessable (`whsec_A` decodes to no byte at all).
      .refine((s) => {
        const bytes = Buffer.from(s.slice('whsec_'.length), 'base64').length;
        return bytes >= 24 && bytes <= 64;
      }, 'secret must decode to 24 to 64 bytes (Standard Webhooks), e.g. "whsec_" followed by the output of openssl rand -base64 32')
      .optional(),
    filter: z
      .object({
        kinds: z
          .array(z.enum(['event', 'admin', 'security-event']))
          .min(1)
          .optional(),
        types: z.array(z.string().min(1)).min(1).optional(),
        realms: z.array(z.string().min(1)).min(1).optional(),
        clients: z.array(z.string().min(1)).min(1).optional(),
        errorsOnly: z.boolean().optional(),
      })
      .strict()
      .default({}),
    timeoutMs: z.number().int().positive().max(120_000).default(5_000),
    concurrency: z.number().int().min(1).max(256).default(8),
    /** Requests per second at most; unset = as fast as the destination answers. */
    ratePerSecond: z.number().positive().optional(),
    /** Attempts before an event becomes a dead letter. */
    maxAttempts: z.number().int().min(1).max(1000).default(25),
    /** Age (since receipt) after which a failing event becomes a dead letter. */
    maxAge: durationMs.default(86_400_000),
    /** Where a new destination starts: everything still buffered, or only events from now on. */
    startFrom: z.enum(['buffer', 'now']).default('buffer'),
  })
  .strict();

export const destinationsSchema = z.array(destination).superRefine((list, ctx) => {
  const seen = new Set<string>();
  for (const [i, d] of list.entries()) {
    if (seen.has(d.name)) ctx.addIssue({ code: 'custom', message: `duplicate destination name "${d.name}"`, path: [i, 'name'] });
    seen.add(d.name);
  }
});

export type Destination = z.infer<typeof destination>;
export type DestinationFilter = Destination['filter'];
