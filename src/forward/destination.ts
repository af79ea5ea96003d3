// What the forward stage needs to know of a destination: the shape src/config/destinations.ts
// validates DESTINATIONS into (its schema is checked against these types), so that forwarding
// depends on no configuration code.

/** Which events a destination wants; every field given must match (none: everything). */
export interface DestinationFilter {
  kinds?: Array<'event' | 'admin' | 'security-event'> | undefined;
  types?: string[] | undefined;
  realms?: string[] | undefined;
  clients?: string[] | undefined;
  errorsOnly?: boolean | undefined;
}

/** The delivery settings every type shares. */
interface Delivery {
  name: string;
  url: string;
  filter: DestinationFilter;
  timeoutMs: number;
  concurrency: number;
  /** Requests per second at most; unset = as fast as the destination answers. */
  ratePerSecond?: number | undefined;
  /** Attempts before an event becomes a dead letter. */
  maxAttempts: number;
  /** Age (ms since receipt) after which a failing event becomes a dead letter. */
  maxAge: number;
  startFrom: 'buffer' | 'now';
}

export interface WebhookDestination extends Delivery {
  type: 'webhook';
  /** Standard Webhooks signing secret (`whsec_...`). */
  secret?: string | undefined;
}

/** TLS material as read from its files. */
interface TlsFiles {
  ca: string | undefined;
  cert: string | undefined;
  key: string | undefined;
}

/** The settings of the types that write batches over a connection of their own. */
interface Batched extends Delivery {
  /** Events written per round trip (one confirm wait, one INSERT). */
  batchSize: number;
  /** Replaces the URL's password (read from the mounted file). */
  passwordFile?: string | undefined;
  tls?: TlsFiles | undefined;
}

export interface AmqpDestination extends Batched {
  type: 'amqp';
  exchange: string;
  routingKey: string;
}

export interface NatsDestination extends Batched {
  type: 'nats';
  subject: string;
}

export interface PostgresDestination extends Batched {
  type: 'postgres';
  table: string;
}

export type Destination = WebhookDestination | AmqpDestination | NatsDestination | PostgresDestination;

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
