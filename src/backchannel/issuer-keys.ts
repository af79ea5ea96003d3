// One issuer's signing keys: its discovery document (or the entry's `jwksUri`) names the JWKS, which
// is fetched (undici) on first use, cached, and fetched again when a token names a key id the cache
// lacks (a key rotation), at most once per cooldown, so tokens with made-up key ids cannot make the
// relay hammer the issuer. Keys given inline (`jwks`) are never fetched. Key selection and import
// are jose's (createLocalJWKSet); nothing here touches crypto.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { request } from 'undici';
import type { IssuerConfig } from './issuers.js';

export interface IssuerKeysOptions {
  /** Least time between two fetches caused by an unknown key id. */
  cooldownMs: number;
  /** Keys older than this are fetched again on next use (a removed key stops being trusted). */
  maxAgeMs?: number;
  /** Longest wait for each document. */
  timeoutMs?: number;
  now?: () => number;
}

/** No key of the issuer for a token: unknown key id, keys unreachable or unusable (its message says which). */
export class KeysUnavailable extends Error {
  override readonly name = 'KeysUnavailable';
}

type KeySet = ReturnType<typeof createLocalJWKSet>;
type Key = Awaited<ReturnType<KeySet>>;

/** Documents larger than this are not key sets (a misconfigured URL): refused before parsing. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

export class IssuerKeys {
  private keySet: KeySet | null = null;
  private jwksUri: string | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | null = null;
  private readonly now: () => number;
  readonly issuer: string;
  /** Keys given inline: the only ones, never fetched. */
  private readonly fixed: boolean;

  constructor(
    private readonly source: Pick<IssuerConfig, 'issuer' | 'jwksUri' | 'jwks'>,
    private readonly options: IssuerKeysOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.issuer = source.issuer;
    this.jwksUri = source.jwksUri;
    this.fixed = source.jwks !== null;
    if (source.jwks) this.keySet = createLocalJWKSet(source.jwks);
  }

  /** jose's key resolver for jwtVerify: the public key the header names. Throws KeysUnavailable. */
  readonly resolve = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<Key> => {
    if (this.keySet === null) {
      if (!(await this.refreshIfAllowed())) {
        throw new KeysUnavailable(
          `the keys of ${this.issuer} could not be fetched (tried again at most every ${this.options.cooldownMs} ms)`,
        );
      }
    } else if (this.now() - this.fetchedAt >= (this.options.maxAgeMs ?? 600_000)) {
      // A stale set still serves when the issuer is unreachable: a restart of Keycloak must not fail logouts.
      await this.refreshIfAllowed().catch(() => false);
    }
    try {
      return await this.select(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    }
    if (!(await this.refreshIfAllowed())) {
      throw new KeysUnavailable(
        this.fixed
          ? `no key ${describe(header)} among the inline keys of ${this.issuer}`
          : `no key ${describe(header)} in the JWKS of ${this.issuer} (fetched again at most every ${this.options.cooldownMs} ms)`,
      );
    }
    try {
      return await this.select(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      throw new KeysUnavailable(`no key ${describe(header)} in the JWKS of ${this.issuer}, fetched again just now`);
    }
  };

  /** The key from the cached set; JWKSNoMatchingKey passes through (the caller may fetch again). */
  private async select(header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<Key> {
    try {
      return await (this.keySet as KeySet)(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey) throw err;
      if (err instanceof errors.JWKSMultipleMatchingKeys) {
        throw new KeysUnavailable(`several keys of ${this.issuer} fit a token without kid`);
      }
      throw new KeysUnavailable(`the JWKS of ${this.issuer} has no usable key for ${describe(header)}: ${(err as Error).message}`);
    }
  }

  /** Fetches again unless a fetch started within the cooldown; joins one in flight. False: not now. */
  private async refreshIfAllowed(): Promise<boolean> {
    if (this.fixed) return false;
    if (this.inflight === null && this.now() - this.attemptedAt < this.options.cooldownMs) return false;
    await this.refresh();
    return true;
  }

  /** Fetches discovery (once) and the JWKS; concurrent callers share one fetch. */
  private refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async fetchKeys(): Promise<void> {
    this.attemptedAt = this.now();
    try {
      if (this.jwksUri === null) {
        const discovery = await this.getJson(`${this.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
        // OpenID Connect Discovery 1.0, 4.3: the document must name exactly this issuer.
        if (discovery.issuer !== this.issuer) throw new Error(`discovery names issuer ${JSON.stringify(discovery.issuer)}`);
        if (typeof discovery.jwks_uri !== 'string' || !/^https?:\/\//.test(discovery.jwks_uri))
          throw new Error('discovery has no http(s) jwks_uri');
        this.jwksUri = discovery.jwks_uri;
      }
      const jwks = await this.getJson(this.jwksUri);
      this.keySet = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
      this.fetchedAt = this.attemptedAt;
    } catch (err) {
      // The JWKS may have moved with a new discovery document: looked up again next time (a
      // configured jwksUri stays).
      this.jwksUri = this.source.jwksUri;
      throw new KeysUnavailable(`cannot fetch the keys of ${this.issuer}: ${(err as Error).message}`);
    }
  }

  private async getJson(url: string): Promise<Record<string, unknown>> {
    const timeout = this.options.timeoutMs ?? 5_000;
    const res = await request(url, { headers: { accept: 'application/json' }, headersTimeout: timeout, bodyTimeout: timeout });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`${url} answered ${res.statusCode}`);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_DOCUMENT_BYTES) {
      await res.body.dump();
      throw new Error(`${url} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    }
    const text = await res.body.text();
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`${url} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${url} is not a JSON object`);
    return parsed as Record<string, unknown>;
  }
}

function describe(header: JWSHeaderParameters): string {
  // Unverified header values: bounded before they reach an answer or a log line.
  return `kid=${JSON.stringify(header.kid ?? null).slice(0, 80)} alg=${JSON.stringify(header.alg ?? null).slice(0, 20)}`;
}
