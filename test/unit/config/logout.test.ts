// The cluster-logout settings: defaults, validation, and the stream token from a file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.js';

const base = { AUTH_SECRET: 'a-secret-of-16-chars' };

it('defaults to a 24 h revocation TTL, a 10,000-message replay log and no stream', () => {
  const config = loadConfig(base);
  expect(config.REVOCATION_TTL).toBe(86_400_000);
  expect(config.LOGOUT_REPLAY_SIZE).toBe(10_000);
  expect(config.LOGOUT_STREAM_TOKEN).toBeUndefined();
});

it('names the variable at fault', () => {
  expect(() => loadConfig({ ...base, REVOCATION_TTL: 'a day' })).toThrow(/REVOCATION_TTL/);
  expect(() => loadConfig({ ...base, LOGOUT_STREAM_TOKEN: 'short' })).toThrow(/LOGOUT_STREAM_TOKEN must be at least 16/);
  expect(() => loadConfig({ ...base, LOGOUT_REPLAY_SIZE: '0' })).toThrow(/LOGOUT_REPLAY_SIZE/);
});

it('reads LOGOUT_STREAM_TOKEN_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kcr-token-'));
  try {
    writeFileSync(join(dir, 'token'), 'stream-token-from-file-42\n');
    expect(loadConfig({ ...base, LOGOUT_STREAM_TOKEN_FILE: join(dir, 'token') }).LOGOUT_STREAM_TOKEN).toBe('stream-token-from-file-42');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
