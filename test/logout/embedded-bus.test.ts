// The embedded logout bus keeps its state in the embedded store's database (one file, one lock, one
// group commit), and takes over the state an older relay kept in DATA_DIR/logout.sqlite.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { request } from 'undici';
import { afterEach, expect, it } from 'vitest';
import { startRelay, type Relay } from '../support/relay.js';

const TOKEN = 'logout-stream-token-0123';
const dirs: string[] = [];
const relays: Relay[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function revoked(relay: Relay, query: Record<string, string>): Promise<boolean> {
  const res = await request(`${relay.url}/logouts/revoked?${new URLSearchParams(query).toString()}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { revoked: boolean }).revoked;
}

it("imports the revocations and replay log of an older relay's logout.sqlite, once, and sets the file aside", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kcr-legacy-'));
  dirs.push(dataDir);
  const notBefore = Math.floor(Date.now() / 1000);
  const legacy = new DatabaseSync(join(dataDir, 'logout.sqlite'));
  legacy.exec(`CREATE TABLE revocations (realm TEXT NOT NULL, scope TEXT NOT NULL, not_before INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (realm, scope)) WITHOUT ROWID;
    CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL);`);
  legacy.prepare('INSERT INTO revocations VALUES (?, ?, ?, ?)').run('corp', 'user:u-1', notBefore, Date.now() + 3_600_000);
  legacy.prepare('INSERT INTO messages (id, body) VALUES (?, ?)').run('42', '{"v":1,"id":"42"}');
  legacy.close();

  const relay = await startRelay({ DATA_DIR: dataDir, LOGOUT_STREAM_TOKEN: TOKEN }, { logout: true });
  relays.push(relay);
  expect(await revoked(relay, { realmId: 'corp', sub: 'u-1', iat: String(notBefore - 1) })).toBe(true);
  expect(await revoked(relay, { realmId: 'corp', sub: 'u-2', iat: String(notBefore - 1) })).toBe(false);
  expect(existsSync(join(dataDir, 'logout.sqlite'))).toBe(false);
  expect(readdirSync(dataDir)).toContain('logout.sqlite.imported');
  expect(relay.logs.some((l) => l.includes('logout state of an older relay imported'))).toBe(true);

  await relay.close();
  relays.pop();
  // Its state now lives in the store's database: still there after a restart, with nothing left to import.
  const again = await startRelay({ DATA_DIR: dataDir, LOGOUT_STREAM_TOKEN: TOKEN }, { logout: true });
  relays.push(again);
  expect(await revoked(again, { realmId: 'corp', sub: 'u-1', iat: String(notBefore - 1) })).toBe(true);
  expect(again.logs.some((l) => l.includes('imported'))).toBe(false);
  expect(readdirSync(dataDir).filter((f) => f.endsWith('.sqlite'))).toEqual(['relay.sqlite']);
});
