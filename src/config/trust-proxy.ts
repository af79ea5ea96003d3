// TRUST_PROXY: which peers' X-Forwarded-For is believed (src/http/proxy-trust.ts applies it).
// `true` is refused: it lets any client choose its own address, hence a fresh throttle key per guess.
import { z } from 'zod';
import { addressMatcher, type TrustProxy } from '../http/proxy-trust.js';

const CHOICES =
  'a comma list of the proxies\' addresses or CIDRs (e.g. "10.0.0.0/8,192.168.1.4"; also loopback, linklocal, uniquelocal), ' +
  'the number of proxies in front of the relay (e.g. 1), or false';

export const trustProxySchema = z
  .string()
  .default('false')
  .transform((text, ctx): TrustProxy => {
    const value = text.trim();
    if (value === 'false' || value === '0') return { kind: 'off' };
    if (/^\d+$/.test(value)) return { kind: 'hops', hops: Number(value) };
    if (value === 'true') {
      ctx.addIssue({ code: 'custom', message: `TRUST_PROXY=true would believe any client's X-Forwarded-For; set ${CHOICES}` });
      return z.NEVER;
    }
    const proxies = value
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x.length > 0);
    try {
      addressMatcher(proxies);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; set ${CHOICES}` });
      return z.NEVER;
    }
    return { kind: 'proxies', proxies };
  });
