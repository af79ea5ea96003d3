// The chaos run's other senders, beside the emitters: Phase Two's keycloak-events webhook (signed
// p2 JSON to /webhooks/phasetwo, done on 200) and Keycloak's SSF transmitter (session-revoked
// Security Event Tokens pushed to /ssf/push, done on 202). Each resends anything else, as the
// emitter poster does. Their events get no snowflake of their own: the registry holds them under
// `p2:<Keycloak event id>` and `ssf:<jti>`, which the sinks read back from `source.phasetwo` and
// `source.ssf` of what they receive.
import { createHmac, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describeEvent, timeOf } from './bodies.mjs';
import { Emitter } from './emitter.mjs';

export const P2_SECRET = 'chaos-p2-webhook-secret-0123';
export const SSF_AUTHORIZATION = 'Bearer chaos-ssf-stream-0123';
export const SSF_ISSUER = 'https://kc.chaos.test/realms/chaos';
export const SSF_AUDIENCE = 'https://relay.chaos.test/ssf';
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';

/** The registry key of an event delivered to a sink: its sender's id when it has one, else the uid (webhook-id). */
export function senderKey(webhookId, event) {
  if (event?.source?.phasetwo) return `p2:${event.source.phasetwo.id}`;
  if (event?.source?.ssf) return `ssf:${event.source.ssf.jti}`;
  return webhookId;
}

/** The simulated transmitter's realm key, and the relay settings that trust it (and the p2 secret). */
export async function senderSettings() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    key: { privateKey, kid },
    env: {
      PHASETWO_SECRETS: P2_SECRET,
      TOKEN_ISSUERS: JSON.stringify([{ issuer: SSF_ISSUER, audiences: [SSF_AUDIENCE], realmId: 'chaos', jwks: { keys: [jwk] } }]),
      SSF_PUSH_AUTHORIZATION: SSF_AUTHORIZATION,
    },
  };
}

export class PhaseTwoPoster extends Emitter {
  get path() {
    return '/webhooks/phasetwo';
  }

  newItem() {
    const index = this.created++;
    const uid = this.uids.next();
    const type = this.prng.float() < 0.35 ? 'LOGOUT' : 'LOGIN';
    const id = randomUUID();
    const base = describeEvent(uid, 'event', type, index);
    const event = { ...base, uid: `p2:${id}`, sender: 'phasetwo', time: timeOf(uid), emitter: this.id, format: 'phasetwo' };
    this.registry.set(event.uid, event);
    // p2's key order, nulls left out, the event's ids in authDetails (its realmId holds the realm name).
    const json = {
      id,
      time: event.time,
      realmId: event.realmId,
      realmName: event.realmId,
      uid: randomUUID(),
      authDetails: {
        realmId: event.realmId,
        clientId: 'account-console',
        userId: event.userId,
        ipAddress: '10.0.0.8',
        username: event.username,
        sessionId: event.sessionId,
      },
      details: { username: event.username },
      type: `access.${type}`,
    };
    const body = Buffer.from(JSON.stringify(json), 'utf8');
    const signature = createHmac('sha256', P2_SECRET).update(body).digest('hex');
    return { event, body, headers: { 'x-keycloak-signature': signature, 'content-type': 'application/json' }, inFlight: false };
  }

  outcomeOf(status, json) {
    return status === 200 && ['accepted', 'duplicate', 'quarantined'].includes(json?.status) ? json.status : null;
  }
}

export class SsfPoster extends Emitter {
  /** @param {object} o as Emitter's, with `key`: the transmitter's signing key from senderSettings() */
  constructor(o) {
    super(o);
    this.key = o.key;
  }

  get path() {
    return '/ssf/push';
  }

  async newItem() {
    const index = this.created++;
    const uid = this.uids.next();
    const jti = randomUUID();
    const base = describeEvent(uid, 'security-event', 'LOGOUT', index);
    const event = { ...base, uid: `ssf:${jti}`, sender: 'ssf', time: timeOf(uid), emitter: this.id, format: 'ssf' };
    this.registry.set(event.uid, event);
    const iat = Math.floor(event.time / 1000);
    const claims = {
      jti,
      iss: SSF_ISSUER,
      iat,
      aud: SSF_AUDIENCE,
      events: { [SESSION_REVOKED]: { event_timestamp: iat, initiating_entity: 'user', reason_admin: { en: 'User logout' } } },
      sub_id: {
        format: 'complex',
        user: { format: 'iss_sub', iss: SSF_ISSUER, sub: event.userId },
        session: { format: 'opaque', id: event.sessionId },
      },
      txn: randomUUID(),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: this.key.kid })
      .sign(this.key.privateKey);
    const headers = { 'content-type': 'application/secevent+jwt', authorization: SSF_AUTHORIZATION };
    return { event, body: Buffer.from(token), headers, inFlight: false };
  }

  /** RFC 8935: 202 is done (stored, or its jti was). */
  outcomeOf(status) {
    return status === 202 ? 'accepted' : null;
  }
}
