import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    const c = loadConfig({ AUTH_SECRET: 's3cret-of-16-chars' });
    expect(c).toMatchObject({
      HOST: '0.0.0.0',
      PORT: 8080,
      KEY_PREFIX: 'kcr:',
      BUFFER_CAPACITY: 100_000,
      BUFFER_OVERFLOW: 'drop-oldest',
      DEDUP_WINDOW: 7 * 86_400_000,
      FLATBUFFERS_SCHEMA: 'emitter-2018',
      INVALID_PAYLOAD: 'quarantine',
      BODY_LIMIT: 1_048_576,
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.ADMIN_TOKEN).toBeUndefined();
  });

  it('names every variable at fault, and never echoes a secret', () => {
    let message = '';
    try {
      loadConfig({ PORT: 'abc', DEDUP_WINDOW: '7x', REDIS_URL: 'http://h', ADMIN_TOKEN: 'tooshort-secret' });
    } catch (err) {
      message = (err as Error).message;
      expect((err as { code: string }).code).toBe('KCR_ERR_CONFIG');
    }
    expect(message).toMatch(/AUTH_SECRET is required/);
    expect(message).toMatch(/PORT:/);
    expect(message).toMatch(/DEDUP_WINDOW: DEDUP_WINDOW must be a duration/);
    expect(message).toMatch(/REDIS_URL: REDIS_URL must start with redis:\/\//);
    expect(message).toMatch(/ADMIN_TOKEN:/);
    expect(message).not.toContain('tooshort-secret');
  });

  it('reads secrets from *_FILE, which wins over the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kcr-cfg-'));
    const file = join(dir, 'secret');
    writeFileSync(file, 'secret-from-a-file\n');
    expect(loadConfig({ AUTH_SECRET: 'secret-from-the-env', AUTH_SECRET_FILE: file }).AUTH_SECRET).toBe('secret-from-a-file');
    expect(() => loadConfig({ AUTH_SECRET_FILE: join(dir, 'missing') })).toThrow(/AUTH_SECRET_FILE: cannot read/);
  });

  it('parses lists and refuses both Redis modes at once', () => {
    const c = loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', AUTH_USERNAMES: 'kc-1, kc-2,', REDIS_CLUSTER_NODES: 'a:7000,b:7001' });
    expect(c.AUTH_USERNAMES).toEqual(['kc-1', 'kc-2']);
    expect(c.REDIS_CLUSTER_NODES).toEqual(['a:7000', 'b:7001']);
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: 'redis://h', REDIS_CLUSTER_NODES: 'a:1' })).toThrow(
      /REDIS_CLUSTER_NODES: set either/,
    );
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', KEY_PREFIX: 'a{b}' })).toThrow(/KEY_PREFIX/);
  });

  it('refuses an AUTH_SECRET under 16 characters, naming it and not echoing it', () => {
    expect(() => loadConfig({ AUTH_SECRET: 'change-me' })).toThrow(/AUTH_SECRET: AUTH_SECRET must be at least 16 characters/);
    expect(() => loadConfig({ AUTH_SECRET: 'change-me' })).not.toThrow(/change-me/);
    expect(loadConfig({ AUTH_SECRET: '0123456789abcdef' }).AUTH_SECRET).toBe('0123456789abcdef');
  });

  it('reads WORKERS as auto or 1..64, and refuses a count above 1 on the embedded store, naming it', () => {
    const redis = { AUTH_SECRET: 'a-secret-of-16-chars', REDIS_URL: 'redis://h:6379' };
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars' }).WORKERS).toBe(1);
    expect(loadConfig({ ...redis, WORKERS: 'auto' }).WORKERS).toBe('auto');
    expect(loadConfig({ ...redis, WORKERS: '64' }).WORKERS).toBe(64);
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', REDIS_CLUSTER_NODES: 'a:7000', WORKERS: '2' }).WORKERS).toBe(2);
    for (const bad of ['0', '65', '1.5', '02', 'two', '-1']) {
      expect(() => loadConfig({ ...redis, WORKERS: bad })).toThrow(/WORKERS: WORKERS must be auto or an integer from 1 to 64/);
    }
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', WORKERS: '2' })).toThrow(
      /WORKERS: WORKERS above 1 needs the Redis store/,
    );
    // `auto` and 1 fit the embedded store: auto runs one process there (test/workers/worker-count.test.ts).
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', WORKERS: 'auto' }).WORKERS).toBe('auto');
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', WORKERS: '1' }).WORKERS).toBe(1);
  });

  it('reads the byte bounds as sizes, and refuses bounds that cannot hold one body of BODY_LIMIT', () => {
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars' })).toMatchObject({
      BUFFER_MAX_BYTES: 512 * 2 ** 20,
      QUARANTINE_MAX_BYTES: 64 * 2 ** 20,
    });
    expect(loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', BUFFER_MAX_BYTES: '2GiB', QUARANTINE_MAX_BYTES: '1048576' })).toMatchObject({
      BUFFER_MAX_BYTES: 2 * 2 ** 30,
      QUARANTINE_MAX_BYTES: 2 ** 20,
    });
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', BUFFER_MAX_BYTES: '512MB' })).toThrow(
      /BUFFER_MAX_BYTES: BUFFER_MAX_BYTES must be a size/,
    );
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', BUFFER_MAX_BYTES: '4MiB', PARTITIONS: '8' })).toThrow(
      /BUFFER_MAX_BYTES: BUFFER_MAX_BYTES must hold at least one BODY_LIMIT-sized event per partition/,
    );
    expect(() => loadConfig({ AUTH_SECRET: 'a-secret-of-16-chars', QUARANTINE_MAX_BYTES: '1KiB' })).toThrow(
      /QUARANTINE_MAX_BYTES: QUARANTINE_MAX_BYTES must hold/,
    );
  });
});
