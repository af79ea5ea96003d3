// A tiny application node that rejects requests whose session Keycloak has ended (logout, admin
// logout, session deleted, user disabled or deleted, not-before push, ...), as the relay reports it.
//
//   npm run build
//   REDIS_URL=redis://127.0.0.1:6379 KEY_PREFIX=kcr: REALM_ID=<realm id> PORT=3000 node examples/fastify-app.mjs
//   curl -H "Authorization: Bearer <access token>" http://127.0.0.1:3000/
//
// FOR THE EXAMPLE ONLY the token is decoded, NOT verified. A real application verifies signature,
// issuer, audience and expiry first (e.g. with `jose` against the realm's JWKS), and only then asks
// whether the verified token was revoked since it was issued.
import Fastify from 'fastify';
import { createLogoutClient } from 'kc-event-relay/client';

const app = Fastify({ logger: true });
app.decorateRequest('claims', null);

const logouts = await createLogoutClient({
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  keyPrefix: process.env.KEY_PREFIX ?? 'kcr:',
  // Keycloak's realm id as in its events (for `master` usually "master"; otherwise a UUID).
  realmId: process.env.REALM_ID ?? 'master',
});
// Messages are the fast path to drop what this node keeps per session (caches, websockets...);
// the per-request isRevoked below also covers anything published while this node was away.
logouts.on('message', (m) => app.log.info({ logout: m }, `logout: ${m.kind} (${m.reason})`));
logouts.on('resync', () => app.log.warn('logout channel re-subscribed: re-check cached sessions'));
logouts.on('error', (err) => app.log.warn({ err: err.message }, 'logout client'));

/** The access token's claims, decoded without verification (see above). */
function claimsOf(request) {
  const [scheme, token] = (request.headers.authorization ?? '').split(' ');
  // The scheme name is case-insensitive (RFC 7235, 2.1).
  if (scheme?.toLowerCase() !== 'bearer' || !token) return null;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload.sub === 'string' && Number.isInteger(payload.iat) ? payload : null;
  } catch {
    return null;
  }
}

app.addHook('onRequest', async (request, reply) => {
  const claims = claimsOf(request);
  if (!claims) return reply.code(401).send({ error: 'bearer token required' });
  let revoked;
  try {
    // `iss` also finds back-channel logouts recorded under the realm name (docs/logout.md, Realms).
    revoked = await logouts.isRevoked({ sub: claims.sub, sid: claims.sid, azp: claims.azp, iat: claims.iat, iss: claims.iss });
  } catch {
    // Revocation state unreachable: this example fails closed.
    return reply.code(503).send({ error: 'cannot check revocation now' });
  }
  if (revoked) return reply.code(401).send({ error: 'session ended' });
  request.claims = claims;
});

app.get('/', async (request) => ({ hello: request.claims.preferred_username ?? request.claims.sub }));

const close = async () => {
  await app.close();
  await logouts.close();
};
process.once('SIGINT', close);
process.once('SIGTERM', close);

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
