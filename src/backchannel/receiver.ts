// Back-channel logout, assembled: verify the token, then record its jti, its revocation and its
// message in one atomic bus step (so a token is accepted once across replicas), before the route
// answers 200. Any failure publishes nothing.
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { KCR_ERR_BACKCHANNEL_REPLAY, KCR_ERR_BACKCHANNEL_UNAVAILABLE, KcrError } from '../errors.js';
import type { LogoutBus } from '../logout/bus.js';
import type { LogoutMessage } from '../logout/message.js';
import type { SignatureAlgorithm } from './issuers.js';
import type { TrustedIssuer } from './signed-token.js';
import { logoutMessageOf, onceMarkerOf } from './to-message.js';
import { LogoutTokenVerifier } from './verify-logout-token.js';

export interface BackchannelReceiverDeps {
  /** BACKCHANNEL_ALGORITHMS and BACKCHANNEL_CLOCK_SKEW (ms), as the configuration names them. */
  config: { BACKCHANNEL_ALGORITHMS: readonly SignatureAlgorithm[]; BACKCHANNEL_CLOCK_SKEW: number };
  /** TOKEN_ISSUERS with their keys, shared with the other token intakes. */
  issuers: readonly TrustedIssuer[];
  bus: Pick<LogoutBus, 'publishOnce'>;
  /** The logout service's message ids (one snowflake sequence per process). */
  nextId: () => bigint;
  registry: Registry;
  log: FastifyBaseLogger;
  /** The relay's clock (tests fix it). */
  now?: () => number;
}

export class BackchannelReceiver {
  private readonly verifier: LogoutTokenVerifier;
  private readonly outcomes: Counter<'outcome'>;
  private readonly now: () => number;

  constructor(private readonly deps: BackchannelReceiverDeps) {
    const { config } = deps;
    this.now = deps.now ?? Date.now;
    this.verifier = new LogoutTokenVerifier({
      issuers: deps.issuers,
      algorithms: config.BACKCHANNEL_ALGORITHMS,
      clockSkewS: Math.ceil(config.BACKCHANNEL_CLOCK_SKEW / 1000),
      now: this.now,
    });
    this.outcomes = new Counter({
      name: 'kcr_backchannel_logout_requests_total',
      help: 'Back-channel logout requests, by outcome: published, or the KCR_ERR_* code of the refusal',
      labelNames: ['outcome'] as const,
      registers: [deps.registry],
    });
  }

  /** The published message; throws the KcrError to answer (every one a 400) with nothing published. */
  async receive(token: string): Promise<LogoutMessage> {
    try {
      const verified = await this.verifier.verify(token);
      const now = this.now();
      const message = logoutMessageOf(verified, this.deps.nextId(), now);
      const once = onceMarkerOf(verified);
      let first: boolean;
      try {
        first = await this.deps.bus.publishOnce(message, { ...once, expiresAtMs: Math.max(once.expiresAtMs, now + 1_000) }, now);
      } catch (err) {
        throw KCR_ERR_BACKCHANNEL_UNAVAILABLE((err as Error).message);
      }
      if (!first) throw KCR_ERR_BACKCHANNEL_REPLAY();
      this.outcomes.inc({ outcome: 'published' });
      return message;
    } catch (err) {
      if (err instanceof KcrError) this.outcomes.inc({ outcome: err.code });
      throw err;
    }
  }
}
