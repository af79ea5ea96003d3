// Starts a relay on a loopback port against a real store, for tests that talk HTTP to it.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../../src/config/env.js';
import { createLogger } from '../../src/log.js';
import { createRelay, type Relay as AssembledRelay } from '../../src/relay.js';

export const SECRET = 'test-secret-Zq81';
export const NODE = 'kc-node-1';
export const ADMIN_TOKEN = 'admin-token-0123456789';

export interface Relay extends Pick<AssembledRelay, 'app' | 'store' | 'metrics' | 'forwarder' | 'logout' | 'close'> {
  url: string;
  config: Config;
  /** Every log line the relay wrote, raw. */
  logs: string[];
}

export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}:`;
}

/** A clock that runs from `startMs` (a capture's moment) at the pace of the real one. */
export function clockFrom(startMs: number): () => number {
  const origin = Date.now();
  return () => startMs + (Date.now() - origin);
}

/** A relay as main.ts builds it (the logout publisher only when asked); its forwarder runs when DESTINATIONS is given. */
export async function startRelay(
  env: Record<string, string>,
  options: { consumer?: string; logout?: boolean; now?: () => number } = {},
): Promise<Relay> {
  const config = loadConfig({
    AUTH_SECRET: SECRET,
    ADMIN_TOKEN,
    KEY_PREFIX: uniquePrefix(),
    LOG_LEVEL: 'debug',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  const logs: string[] = [];
  // Capture the logger's output to assert on what operators would see (and never see).
  const logger = createLogger(
    config,
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const relay = await createRelay(config, {
    logger,
    blockMs: 200,
    logout: options.logout === true,
    ...(options.consumer ? { consumer: options.consumer } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const port = await relay.start('127.0.0.1', 0);
  return { ...relay, url: `http://127.0.0.1:${port}`, config, logs };
}
