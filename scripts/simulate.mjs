#!/usr/bin/env node
// `npm run simulate`: Keycloak's senders, without Keycloak. Two nodes' event-emitters (kc-1 posts
// JSON, kc-2 FlatBuffer over emitter-2018 tables), and with SIM_PHASETWO_SECRET a Phase Two webhook
// (HMAC-signed p2 JSON to /webhooks/phasetwo), take turns as users log in, exchange codes, refresh
// tokens, fail a password now and then, and log out; an administrator logs a user out; some posts
// are resent as each sender does when an answer is lost (p2 also through a second webhook, under
// another uid); with SIM_SSF_KEY, every logout is also pushed to /ssf/push as Keycloak's SSF
// transmitter does (a session-revoked SET, resent too); with SIM_DAMAGED_EVERY, some bodies are
// undecodable (to see the quarantine). Needs a built relay (`npm run build`, done by `npm start`).
//   AUTH_SECRET=… RELAY_URL=http://127.0.0.1:8080 npm run simulate
//   npm run simulate -- ssf-key      # a signing key for SIM_SSF_KEY, and the TOKEN_ISSUERS that trusts it
// Settings (environment): SIM_RATE events/s (5), SIM_COUNT events then stop (0: until Ctrl-C),
// SIM_RESEND_EVERY (10), SIM_ADMIN_LOGOUT_EVERY (25), SIM_DAMAGED_EVERY (0: never),
// SIM_PHASETWO_SECRET (one of the relay's PHASETWO_SECRETS; unset: no p2 webhook),
// SIM_SSF_KEY (a private JWK from `ssf-key`; unset: no SSF), SIM_SSF_ISSUER, SIM_SSF_AUDIENCE,
// SIM_SSF_AUTHORIZATION (the relay's SSF_PUSH_AUTHORIZATION, when set).
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import {
  adminLogoutJson,
  damagedFlatBuffer,
  phaseTwoEventJson,
  sessionRevokedClaims,
  Uids,
  userEventFlatBuffer,
  userEventJson,
} from './simulator/bodies.mjs';

const env = process.env;
const base = (env.RELAY_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const url = `${base}/events`;
const ssf = {
  issuer: env.SIM_SSF_ISSUER ?? 'https://kc.example/realms/corp',
  audience: env.SIM_SSF_AUDIENCE ?? 'kc-event-relay-simulator',
};

if (process.argv[2] === 'ssf-key') {
  // A realm key of the simulated transmitter: the private half for SIM_SSF_KEY, the public half inline in TOKEN_ISSUERS.
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  process.stdout.write(`SIM_SSF_KEY='${JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'RS256' })}'\n`);
  process.stdout.write(`TOKEN_ISSUERS='${JSON.stringify([{ issuer: ssf.issuer, audiences: [ssf.audience], jwks: { keys: [jwk] } }])}'\n`);
  process.exit(0);
}

const secret = env.AUTH_SECRET;
if (!secret) {
  process.stderr.write("simulate: set AUTH_SECRET to the relay's (the emitter's CT_KEYCLOAK_BRIDGE_SECRET_TOKEN)\n");
  process.exit(64);
}
const phaseTwoSecret = env.SIM_PHASETWO_SECRET;
const ssfKey = env.SIM_SSF_KEY ? JSON.parse(env.SIM_SSF_KEY) : null;
const ssfSigner = ssfKey ? await importJWK(ssfKey, 'RS256') : null;
const int = (name, fallback) => {
  const v = Number(env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a whole number`);
  return v;
};
const rate = Math.max(int('SIM_RATE', 5), 1);
const count = int('SIM_COUNT', 0);
const resendEvery = int('SIM_RESEND_EVERY', 10);
const adminLogoutEvery = int('SIM_ADMIN_LOGOUT_EVERY', 25);
const damagedEvery = int('SIM_DAMAGED_EVERY', 0);

const NODES = [
  { name: 'kc-1', format: 'json', uids: new Uids(1, 1) },
  { name: 'kc-2', format: 'flatbuffer', uids: new Uids(1, 2) },
  // p2 posts from whichever Keycloak node raised the event; its clock stands in for Keycloak's time.
  ...(phaseTwoSecret ? [{ name: 'phasetwo', format: 'phasetwo', uids: new Uids(1, 3) }] : []),
];
const REALMS = ['corp', 'shop'];
const CLIENTS = ['web-shop', 'account-console', 'mobile-app'];
const NAMES = ['alice', 'bob', 'chloé', 'dmitri', 'émile', 'fatima', 'günther', 'hana', 'inès', 'jörg', 'kofi', 'lucía'];
const users = NAMES.map((username, i) => ({ username, userId: randomUUID(), realmId: REALMS[i % REALMS.length], session: null }));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** The next thing a random user does: log in when out; else mostly use the session, sometimes end it. */
function nextUserEvent() {
  const user = pick(users);
  const base = {
    realmId: user.realmId,
    userId: user.userId,
    ipAddress: `10.0.${users.indexOf(user)}.7`,
    details: { username: user.username },
  };
  if (!user.session) {
    if (Math.random() < 0.1)
      return {
        ...base,
        type: 'LOGIN_ERROR',
        clientId: pick(CLIENTS),
        sessionId: null,
        error: 'invalid_user_credentials',
        details: { ...base.details, auth_method: 'openid-connect' },
      };
    user.session = { id: randomUUID(), clientId: pick(CLIENTS) };
    return {
      ...base,
      type: 'LOGIN',
      clientId: user.session.clientId,
      sessionId: user.session.id,
      details: { ...base.details, auth_method: 'openid-connect', redirect_uri: 'https://shop.example/' },
    };
  }
  const session = user.session;
  const roll = Math.random();
  if (roll < 0.2) {
    user.session = null;
    return {
      ...base,
      type: 'LOGOUT',
      clientId: session.clientId,
      sessionId: session.id,
      details: { ...base.details, redirect_uri: 'https://shop.example/' },
    };
  }
  return {
    ...base,
    type: roll < 0.55 ? 'CODE_TO_TOKEN' : 'REFRESH_TOKEN',
    clientId: session.clientId,
    sessionId: session.id,
    details: { ...base.details, token_id: randomUUID() },
  };
}

const tally = { sent: 0, json: 0, flatbuffer: 0, phasetwo: 0, ssf: 0, resent: 0, logouts: 0, adminLogouts: 0, damaged: 0, answers: {} };

async function send(target, headers, body) {
  const res = await fetch(target, { method: 'POST', headers, body }).catch((err) => ({
    status: 0,
    json: async () => ({ status: err.cause?.code ?? err.message }),
  }));
  const answer = await res.json().catch(() => ({}));
  const key = `${res.status} ${answer.status ?? answer.error?.code ?? answer.code ?? ''}`.trim();
  tally.answers[key] = (tally.answers[key] ?? 0) + 1;
}

function post(node, text) {
  // p2: UTF-8 JSON signed with the webhook's secret (X-Keycloak-Signature, lowercase hex HmacSHA256).
  if (node.format === 'phasetwo') {
    const body = Buffer.from(text, 'utf8');
    const signature = createHmac('sha256', phaseTwoSecret).update(body).digest('hex');
    return send(`${base}/webhooks/phasetwo`, { 'x-keycloak-signature': signature, 'content-type': 'application/json' }, body);
  }
  // The emitter's HTTP client: Basic auth with the Keycloak host name, no charset, ISO-8859-1 bytes.
  const authorization = `Basic ${Buffer.from(`${node.name}:${secret}`).toString('base64')}`;
  return send(url, { authorization, 'content-type': 'application/json' }, Buffer.from(text, 'latin1'));
}

/** Keycloak's SSF transmitter after a logout: a session-revoked SET, pushed (RFC 8935), resent when its answer was lost. */
async function pushSessionRevoked(event, resend) {
  const claims = sessionRevokedClaims(ssf, event, Math.floor(Date.now() / 1000));
  const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: ssfKey.kid }).sign(ssfSigner);
  const headers = {
    'content-type': 'application/secevent+jwt',
    ...(env.SIM_SSF_AUTHORIZATION ? { authorization: env.SIM_SSF_AUTHORIZATION } : {}),
  };
  tally.ssf++;
  await send(`${base}/ssf/push`, headers, token);
  if (resend) await send(`${base}/ssf/push`, headers, token);
}

async function sendOne(i) {
  let node = NODES[i % NODES.length];
  let text;
  let event = null;
  if (damagedEvery > 0 && i % damagedEvery === damagedEvery - 1) {
    node = NODES[1];
    text = damagedFlatBuffer();
    tally.damaged++;
  } else if (adminLogoutEvery > 0 && i % adminLogoutEvery === adminLogoutEvery - 1) {
    node = NODES[0];
    const user = pick(users);
    user.session = null;
    text = adminLogoutJson(node.uids.next(), user);
    tally.adminLogouts++;
  } else {
    event = nextUserEvent();
    if (event.type === 'LOGOUT') tally.logouts++;
    text =
      node.format === 'json'
        ? userEventJson(node.uids.next(), event)
        : node.format === 'phasetwo'
          ? phaseTwoEventJson(node.uids.next(), event, { id: randomUUID(), uid: randomUUID() })
          : userEventFlatBuffer(node.uids.next(), event);
  }
  tally.sent++;
  tally[node.format]++;
  await post(node, text);
  // A sender resends a body whose answer it did not get: answered "duplicate". p2 also delivers the
  // same Keycloak event through a second webhook, under another delivery uid.
  const resend = resendEvery > 0 && i % resendEvery === resendEvery - 1;
  if (resend) {
    tally.resent++;
    await post(node, text);
    if (node.format === 'phasetwo') await post(node, JSON.stringify({ ...JSON.parse(text), uid: randomUUID() }));
  }
  if (ssfSigner && event?.type === 'LOGOUT') await pushSessionRevoked(event, resend);
}

let stopping = false;
process.on('SIGINT', () => (stopping = true));
process.on('SIGTERM', () => (stopping = true));

function report() {
  const answers = Object.entries(tally.answers)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  process.stdout.write(
    `simulate: ${tally.sent} sent (json ${tally.json}, flatbuffer ${tally.flatbuffer}${phaseTwoSecret ? `, phasetwo ${tally.phasetwo}` : ''}), ` +
      `${tally.resent} resent, ${tally.logouts} logouts, ${tally.adminLogouts} admin logouts, ${tally.damaged} damaged` +
      `${ssfSigner ? `, ${tally.ssf} SETs pushed` : ''}; answers ${answers || 'none yet'}\n`,
  );
}

process.stdout.write(`simulate: posting ${rate} events/s to ${url}${count ? `, ${count} in all` : ''}\n`);
const started = Date.now();
let lastReport = started;
for (let i = 0; !stopping && (count === 0 || i < count); i++) {
  await sendOne(i);
  if (Date.now() - lastReport >= 5_000) {
    report();
    lastReport = Date.now();
  }
  // Paced on a fixed schedule: after a slow answer it catches up instead of drifting.
  const due = started + ((i + 1) * 1000) / rate;
  if (due > Date.now()) await sleep(due - Date.now());
}
report();
