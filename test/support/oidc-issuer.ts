// A Keycloak-like OpenID provider on loopback for back-channel logout tests: a discovery document
// and a JWKS of keys generated here (RS256, ES256), key rotation, an outage switch, and logout
// tokens built as Keycloak's TokenManager.initLogoutToken builds them. Real HTTP, real signatures.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/backchannel/verify-logout-token.js';

export type Alg = 'RS256' | 'ES256';

export interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function newKey(alg: Alg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TokenOptions {
  key?: SigningKey;
  /** Claims to add or replace; `undefined` removes one. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
}

export class TestIssuer {
  readonly keys: SigningKey[] = [];
  /** While true, discovery and JWKS answer 503. */
  down = false;
  jwksFetches = 0;
  private server: Server | null = null;
  private base = '';

  constructor(private readonly realm: string) {}

  get issuer(): string {
    return `${this.base}/realms/${this.realm}`;
  }

  async start(): Promise<this> {
    this.keys.push(await newKey('RS256'), await newKey('ES256'));
    this.server = createServer((req, res) => {
      const path = req.url ?? '';
      if (this.down) {
        res.writeHead(503).end();
      } else if (path === `/realms/${this.realm}/.well-known/openid-configuration`) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            issuer: this.issuer,
            jwks_uri: `${this.issuer}/protocol/openid-connect/certs`,
            backchannel_logout_supported: true,
          }),
        );
      } else if (path === `/realms/${this.realm}/protocol/openid-connect/certs`) {
        this.jwksFetches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return this;
  }

  /** A new RSA key replaces the current one (Keycloak's key rotation, old key removed). */
  async rotate(): Promise<SigningKey> {
    const key = await newKey('RS256');
    const old = this.keys.findIndex((k) => k.alg === 'RS256');
    this.keys.splice(old, 1, key);
    return key;
  }

  key(alg: Alg): SigningKey {
    return this.keys.find((k) => k.alg === alg) as SigningKey;
  }

  /** The claims of Keycloak's LogoutToken for one client session. */
  claims(clientId: string, ids: { sub?: string; sid?: string } = {}): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      typ: 'Logout',
      iss: this.issuer,
      aud: clientId,
      sub: ids.sub ?? randomUUID(),
      sid: ids.sid ?? randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      jti: randomUUID(),
      iat: now,
      exp: now + 120,
    };
  }

  /** A signed logout token (Keycloak's header: alg, kid, typ JWT). */
  async token(clientId: string, options: TokenOptions = {}, ids: { sub?: string; sid?: string } = {}): Promise<string> {
    const key = options.key ?? this.key('RS256');
    const payload: Record<string, unknown> = { ...this.claims(clientId, ids), ...options.claims };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header }).sign(key.privateKey);
  }

  /** The issuer's RSA public key as PEM text: what an HS256 "key confusion" forger would use as the secret. */
  async publicPem(): Promise<string> {
    return exportSPKI(this.key('RS256').publicKey);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** Base64url JSON, for hand-built (unsigned) tokens. */
export function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
