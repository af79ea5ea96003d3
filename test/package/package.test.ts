// The package as npm ships it: only what runs, bins that start from a shell, and a client entry
// point that runs on the oldest Node the package's `engines` admit.
import { execFile, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string>; engines: { node: string } };
// The bins' `#!/usr/bin/env node` finds the project's Node first, as npm scripts do.
const PATH = `${dirname(process.execPath)}:${process.env.PATH}`;

it('npm pack ships the compiled relay, client, CLI and status page, and no tests, benches, sources or maps', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    env: { ...process.env, PATH },
    maxBuffer: 16 << 20,
  });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  for (const needed of [
    'package.json',
    'README.md',
    'dist/src/bin.js',
    'dist/src/cli.js',
    'dist/src/index.js',
    'dist/src/client/index.js',
    'dist/src/client/index.d.ts',
    'dist/src/http/status-page/index.html',
    'dist/src/http/status-page/status.js',
    'dist/generated/emitter2018/event.js',
  ]) {
    expect(files, needed).toContain(needed);
  }
  expect(files.filter((f) => /^dist\/src\/store\/redis\/lua\/.+\.lua$/.test(f)).length, 'the Lua scripts').toBeGreaterThan(0);
  const unwanted = files.filter(
    (f) => /^(test|bench|src|scripts|deploy|docs|schema)\/|^dist\/(test|bench)\/|\.map$|\.ts$/.test(f) && !f.endsWith('.d.ts'),
  );
  expect(unwanted).toEqual([]);
  // A tripwire for whole directories shipped by mistake (the filter above names the known kinds): 413 files with
  // WORKERS, 438 with the catch-up stage (src/sources), 456 with src/retry, src/backend and the store's tags.
  expect(files.length).toBeLessThan(500);
});

describe('bins', () => {
  it.each(Object.entries(pkg.bin))('%s has a shebang and is executable', (_name, path) => {
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    accessSync(path, constants.X_OK);
  });

  it('kc-event-relay runs from a shell: a missing variable is named, exit 78', () => {
    const result = spawnSync(pkg.bin['kc-event-relay']!, [], { env: { PATH }, encoding: 'utf8', timeout: 15_000 });
    expect(result.stderr).toContain('AUTH_SECRET is required');
    expect(result.status).toBe(78);
  });

  it('kc-event-relay-admin runs from a shell: usage, exit 0', () => {
    const result = spawnSync(pkg.bin['kc-event-relay-admin']!, ['--help'], { env: { PATH }, encoding: 'utf8', timeout: 15_000 });
    expect(result.stdout).toContain('decode <file|->');
    expect(result.status).toBe(0);
  });
});

// The project's own Node is 24; an older system Node, when there is one, is what application nodes run.
const SYSTEM_NODE = '/usr/bin/node';
const systemMajor = Number(
  spawnSync(SYSTEM_NODE, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout?.trim() || NaN,
);
const declaredMinimum = Number(/^>=(\d+)/.exec(pkg.engines.node)?.[1]);
const older = systemMajor >= declaredMinimum && systemMajor < 24;
if (!older)
  console.warn(`client-on-older-Node test skipped: ${SYSTEM_NODE} is not a Node ${declaredMinimum}–23 (got ${systemMajor || 'none'})`);

describe.skipIf(!older)(`on the oldest Node admitted (${SYSTEM_NODE}, Node ${systemMajor})`, () => {
  it('the logout client subscribes and checks a revocation', () => {
    const script = `
      const { createLogoutClient } = await import('./dist/src/client/index.js');
      const client = await createLogoutClient({ redis: ${JSON.stringify(inject('redisUrl'))}, keyPrefix: 'old-node:' });
      const revoked = await client.isRevoked({ realmId: 'corp', sub: 'u1', sid: 's1', azp: 'app', iat: 1 });
      await client.close();
      console.log('revoked=' + revoked);`;
    const result = spawnSync(SYSTEM_NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('revoked=false');
  });

  it('the relay bin says which Node it needs instead of failing to load', () => {
    const result = spawnSync(SYSTEM_NODE, [pkg.bin['kc-event-relay']!], { encoding: 'utf8', timeout: 15_000 });
    expect(result.stderr).toContain('the relay needs Node 24 or later');
    expect(result.status).toBe(1);
  });
});
