// Public entry point `kc-event-relay`: the relay's building blocks for embedding it in another
// process, the canonical event's types, and (as `kc-event-relay/client`) the application-node client.
export { loadConfig, type Config } from './config/env.js';
export { KcrError } from './errors.js';
export type { AuthDetails, CanonicalEvent, EventKind, EventSource, SchemaProfile } from './event/canonical.js';
export { buildApp, type AppDeps } from './http/server.js';
export { createStore, type CreatedStore } from './store/create-store.js';
export type { EventStore } from './store/event-store.js';
export * from './client/index.js';
