// What start-up warns about in DESTINATIONS without refusing it: a webhook over plain http:// to a
// host other than this machine (events carry personal data, and the URL's credentials and the
// signature travel in clear), and a webhook without a secret (its receiver cannot tell the relay's
// deliveries from forged ones). Both are legitimate on a private network or in a try-out.
import { addressMatcher } from '../http/proxy-trust.js';

const loopbackAddress = addressMatcher(['loopback']);

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || loopbackAddress(host);
}

export interface DestinationWarning {
  destination: string;
  message: string;
}

export function destinationWarnings(
  destinations: readonly { name: string; url: string; secret?: string | undefined }[],
): DestinationWarning[] {
  const warnings: DestinationWarning[] = [];
  for (const { name, url, secret } of destinations) {
    const { protocol, hostname } = new URL(url);
    if (protocol !== 'http:' && protocol !== 'https:') continue;
    if (protocol === 'http:' && !isLoopback(hostname)) {
      warnings.push({
        destination: name,
        message: `destination ${name} is sent over plain http:// to ${hostname}: events, credentials and signatures travel unencrypted (use https://)`,
      });
    }
    if (secret === undefined) {
      warnings.push({
        destination: name,
        message: `destination ${name} has no secret: its receiver cannot tell the relay's deliveries from forged ones (set a whsec_ secret and verify webhook-signature)`,
      });
    }
  }
  return warnings;
}
