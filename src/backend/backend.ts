// Where state lives, for the stages that keep some beside the event store (the logout bus): the
// backend src/store/create-store.ts chose, handed on as connections, not as store internals.
import type { RedisClient } from './redis/connect.js';
import type { EmbeddedDb } from './sqlite/embedded-db.js';

export type Backend =
  /** `connect()` opens a new connection with the store's settings, owned by the caller. */
  | { kind: 'redis'; connect: () => RedisClient }
  /** DATA_DIR's database (one connection, group commit); the store closes it. */
  | { kind: 'embedded'; db: EmbeddedDb };
