// How the relay believes X-Forwarded-For (TRUST_PROXY, parsed in src/config/trust-proxy.ts): the
// client address of the auth throttle, the logs and the quarantine, and which peers are proxies
// (exempt from MAX_CONNECTIONS_PER_ADDRESS).
import { BlockList, isIP } from 'node:net';

/** `off`: no proxy; `hops`: the nearest N hops are proxies, whoever they are; `proxies`: these addresses/CIDRs. */
export type TrustProxy = { kind: 'off' } | { kind: 'hops'; hops: number } | { kind: 'proxies'; proxies: readonly string[] };

/** The ranges proxy-addr (Express, fastify) names, so that a setting written for them reads the same here. */
const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Whether an address lies in `entries` (addresses, CIDRs, named ranges). Throws on an entry that is
 * none of these. IPv4-mapped IPv6 peers (`::ffff:10.0.0.1`, what a dual-stack socket reports) match
 * their IPv4 entries.
 */
export function addressMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED_RANGES[e] ?? [e])) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0 || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new Error(`"${entry}" is not an address or a CIDR`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else if (Number(prefix) > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has a prefix longer than the address`);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
}

export interface ProxyTrust {
  /** fastify's `trustProxy`: whether hop `hop` (0 = the TCP peer) at `address` is a proxy whose X-Forwarded-For is believed. */
  trustProxy: false | ((address: string, hop: number) => boolean);
  /** Whether a TCP peer is one of the proxies: every peer with a hop count. */
  isProxy: (address: string) => boolean;
}

export function proxyTrust(setting: TrustProxy): ProxyTrust {
  switch (setting.kind) {
    case 'off':
      return { trustProxy: false, isProxy: () => false };
    case 'hops': {
      // As Express reads a hop count (fastify's own number form now trusts no hop at all).
      const { hops } = setting;
      return { trustProxy: (_address, hop) => hop < hops, isProxy: () => true };
    }
    case 'proxies': {
      const isProxy = addressMatcher(setting.proxies);
      return { trustProxy: isProxy, isProxy };
    }
  }
}
