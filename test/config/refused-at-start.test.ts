// What the hardening refuses at start stops the built relay with exit 78 (EX_CONFIG) and a message
// naming the variable, never showing the value.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { SECRET } from '../support/relay.js';

const MAIN = 'dist/src/main.js';

function start(env: Record<string, string>) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` (npm test does it first)`);
  // PORT 0 and loopback: a relay that did start would bind nothing anyone uses; the timeout ends it.
  return spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', DATA_DIR: '/nonexistent/kcr', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
}

it.each([
  ['AUTH_SECRET', { AUTH_SECRET: 'change-me' }, /AUTH_SECRET: AUTH_SECRET must be at least 16 characters/],
  ['TRUST_PROXY', { TRUST_PROXY: 'true' }, /TRUST_PROXY: .*comma list of the proxies' addresses or CIDRs.*number of proxies/],
  [
    'DESTINATIONS',
    { DESTINATIONS: '[{"name":"audit","url":"https://siem.example/hook","secret":"whsec_A"}]' },
    /DESTINATIONS\.0\.secret: secret must decode to 24 to 64 bytes/,
  ],
])('refuses a weak %s: exit 78, the variable named', (_name, env, message) => {
  const result = start(env);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toContain('change-me');
  expect(result.status).toBe(78);
});
