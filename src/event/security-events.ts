// The Security Event Token event types the relay understands (OpenID CAEP 1.0, as Keycloak's SSF
// transmitter sends them). A SET of any other type is stored and forwarded, and ends nothing.
export const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
export const SESSION_REVOKED = `${CAEP}session-revoked`;
export const CREDENTIAL_CHANGE = `${CAEP}credential-change`;

/** The session id Keycloak's transmitter sends when an admin logs a user out of every session. */
export const ALL_SESSIONS = 'ALL';
