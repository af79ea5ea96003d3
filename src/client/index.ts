// Public entry point `kc-event-relay/client`: what an application node imports.
export { createLogoutClient, LogoutClient, type LogoutClientOptions, type MessageOfKind, type TokenClaims } from './logout-client.js';
export { allRealmsChannel, realmChannel, LOGOUT_KINDS, type LogoutKind, type LogoutMessage, type LogoutReason } from '../logout/message.js';
export type { RevocationClaims } from '../logout/revocation.js';
