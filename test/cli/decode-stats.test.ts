// The CLI's offline decoder and its stats view, run as an operator runs them (the built bin).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeContextOf } from '../../src/cli/decode.js';
import { postEvent } from '../support/http.js';
import { freshUid, loginEventJson } from '../support/payloads.js';
import { ADMIN_TOKEN, startRelay, type Relay } from '../support/relay.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'kcr-cli-'));

function cli(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['dist/src/cli.js', ...args],
      { env: { PATH: process.env.PATH, ADMIN_TOKEN } },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? Number((err as { code?: number }).code) : 0 }),
    );
    child.stdin!.end(input ?? '');
  });
}

describe('decode', () => {
  it('prints the canonical event of an emitter JSON body (ISO-8859-1 bytes, uid exact)', async () => {
    const uid = freshUid();
    const file = join(dir, 'login.json');
    writeFileSync(file, Buffer.from(loginEventJson(uid, { details: { username: 'josé' } }), 'latin1'));
    const { stdout, code } = await cli(['decode', file, '--node', 'kc-7']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      uid,
      type: 'LOGIN',
      details: { username: 'josé' },
      source: { node: 'kc-7', format: 'json' },
    });
  });

  it('decodes a FlatBuffer body from standard input with the schema asked for', async () => {
    const golden = JSON.parse(readFileSync('test/fixtures/golden/emitter-2018--event-login-defaults.json', 'utf8'));
    const body = JSON.stringify({ type: golden.type, obj: golden.obj });
    const { stdout, code } = await cli(['decode', '-', '--schema', 'emitter-2018'], body);
    expect(code).toBe(0);
    const { uid, time, type, realmId, userId, sessionId } = golden.expected;
    expect(JSON.parse(stdout)).toMatchObject({
      uid,
      time,
      type,
      realmId,
      userId,
      sessionId,
      source: { format: 'flatbuffer', schema: 'emitter-2018' },
    });
  });

  it('says why the relay quarantines a body, with its code (exit 65), from the base64 the admin API gives', async () => {
    const base64 = Buffer.from('{"type":"Event","obj":"AAAA"}').toString('base64');
    const { stderr, code } = await cli(['decode', '-', '--base64'], base64);
    expect(stderr).toMatch(/^KCR_ERR_FLATBUFFER: /);
    expect(code).toBe(65);
  });

  it('maps options onto the decoder context in one place: option over environment over default', () => {
    const now = Date.now();
    const view = (c: ReturnType<typeof decodeContextOf>) => [
      c.settings.profile,
      c.settings.keycloak.release,
      c.settings.bodyCharset,
      c.contentType,
    ];
    expect(decodeContextOf({}, {}, now)).toMatchObject({ node: 'cli', maxFutureSkewMs: 300_000, nowMs: now });
    expect(view(decodeContextOf({}, {}, now))).toEqual(['emitter-2018', '8.0.1', 'auto', undefined]);
    expect(decodeContextOf({}, { FLATBUFFERS_SCHEMA: 'emitter-kc26', MAX_CLOCK_SKEW: '1m' }, now)).toMatchObject({
      maxFutureSkewMs: 60_000,
    });
    expect(view(decodeContextOf({}, { FLATBUFFERS_SCHEMA: 'emitter-kc26' }, now))).toEqual(['emitter-kc26', '26.2.4', 'auto', undefined]);
    expect(
      view(decodeContextOf({ schema: 'emitter-2020', keycloak: '6' }, { FLATBUFFERS_SCHEMA: 'emitter-kc26', KEYCLOAK_VERSION: '20' }, now)),
    ).toEqual(['emitter-2020', '6.0.1', 'auto', undefined]);
    expect(view(decodeContextOf({ charset: 'utf-8' }, { KEYCLOAK_VERSION: '20', BODY_CHARSET: 'latin1' }, now))).toEqual([
      'emitter-2018',
      '20.0.5',
      'latin1',
      'application/json; charset=utf-8',
    ]);
    expect(() => decodeContextOf({ schema: 'emitter-1999' }, {}, now)).toThrow(/--schema must be one of emitter-2018/);
    expect(() => decodeContextOf({ keycloak: '19' }, {}, now)).toThrow(/--keycloak must be a Keycloak major or release/);
    expect(() => decodeContextOf({ bodyCharset: 'ebcdic' }, {}, now)).toThrow(/--body-charset must be one of auto/);
  });
});

describe('stats', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay({ REDIS_URL: inject('redisUrl'), BUFFER_CAPACITY: '1000' });
  });
  afterAll(() => relay.close());

  it('prints the relay counters for a terminal, and the summary with --json', async () => {
    const body = loginEventJson(freshUid());
    await postEvent(relay.url, body);
    await postEvent(relay.url, body);
    const { stdout, code } = await cli(['stats', '--url', relay.url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ingest +accepted 1, duplicate 1$/m);
    expect(stdout).toMatch(/^buffer +1 \/ 1000 \(0\.1 %, drop-oldest\)/m);
    expect(stdout).toMatch(/^answer time +p50 [\d.]+ ms, p99 [\d.]+ ms/m);
    const json = JSON.parse((await cli(['stats', '--json', '--url', relay.url])).stdout);
    expect(json.ingest).toEqual({ accepted: 1, duplicate: 1 });
  });
});

afterAll(async () => {
  await exec('rm', ['-rf', dir]);
});
