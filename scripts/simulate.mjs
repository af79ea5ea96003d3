#!/usr/bin/env node
// `npm run simulate`: two Keycloak nodes' event-emitters, without Keycloak. Node kc-1 posts JSON,
// node kc-2 FlatBuffer (emitter-2018 tables), as users log in, exchange codes, refresh tokens, fail
// a password now and then, and log out; an administrator logs a user out; some posts are resent as
// the emitter does when an answer is lost; with SIM_DAMAGED_EVERY, some bodies are undecodable (to
// see the quarantine). Needs a built relay (`npm run build`, done by `npm start`) for the tables.
//   AUTH_SECRET=… RELAY_URL=http://127.0.0.1:8080 npm run simulate
// Settings (environment): SIM_RATE events/s (5), SIM_COUNT events then stop (0: until Ctrl-C),
// SIM_RESEND_EVERY (10), SIM_ADMIN_LOGOUT_EVERY (25), SIM_DAMAGED_EVERY (0: never).
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { adminLogoutJson, damagedFlatBuffer, Uids, userEventFlatBuffer, userEventJson } from './simulator/bodies.mjs';

const env = process.env;
const url = `${(env.RELAY_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')}/events`;
const secret = env.AUTH_SECRET;
if (!secret) {
  process.stderr.write("simulate: set AUTH_SECRET to the relay's (the emitter's CT_KEYCLOAK_BRIDGE_SECRET_TOKEN)\n");
  process.exit(64);
}
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

const tally = { sent: 0, json: 0, flatbuffer: 0, resent: 0, logouts: 0, adminLogouts: 0, damaged: 0, answers: {} };

async function post(node, text) {
  const res = await fetch(url, {
    method: 'POST',
    // The emitter's HTTP client: Basic auth with the Keycloak host name, no charset, ISO-8859-1 bytes.
    headers: { authorization: `Basic ${Buffer.from(`${node.name}:${secret}`).toString('base64')}`, 'content-type': 'application/json' },
    body: Buffer.from(text, 'latin1'),
  }).catch((err) => ({ status: 0, json: async () => ({ status: err.cause?.code ?? err.message }) }));
  const answer = await res.json().catch(() => ({}));
  const key = `${res.status} ${answer.status ?? answer.error?.code ?? ''}`.trim();
  tally.answers[key] = (tally.answers[key] ?? 0) + 1;
}

async function sendOne(i) {
  let node = NODES[i % NODES.length];
  let text;
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
    const event = nextUserEvent();
    if (event.type === 'LOGOUT') tally.logouts++;
    text = node.format === 'json' ? userEventJson(node.uids.next(), event) : userEventFlatBuffer(node.uids.next(), event);
  }
  tally.sent++;
  tally[node.format]++;
  await post(node, text);
  // The emitter resends a body whose answer it did not get: same uid, answered "duplicate".
  if (resendEvery > 0 && i % resendEvery === resendEvery - 1) {
    tally.resent++;
    await post(node, text);
  }
}

let stopping = false;
process.on('SIGINT', () => (stopping = true));
process.on('SIGTERM', () => (stopping = true));

function report() {
  const answers = Object.entries(tally.answers)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  process.stdout.write(
    `simulate: ${tally.sent} sent (json ${tally.json}, flatbuffer ${tally.flatbuffer}), ${tally.resent} resent, ` +
      `${tally.logouts} logouts, ${tally.adminLogouts} admin logouts, ${tally.damaged} damaged; answers ${answers || 'none yet'}\n`,
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
