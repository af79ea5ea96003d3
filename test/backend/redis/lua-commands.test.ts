// The Lua commands of each stage (BullMQ-style files, src/backend/redis/lua-commands.ts): names say their
// key count, headers list exactly those keys, fragments carry their own dependencies, and every
// expanded command compiles in a real Redis.
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { expandLua, loadLuaCommands } from '../../../src/backend/redis/lua-commands.js';

const DIRS = {
  store: new URL('../../../src/store/redis/lua/', import.meta.url),
  logout: new URL('../../../src/logout/redis/lua/', import.meta.url),
};
const redis = new Redis(inject('redisUrl'));
afterAll(() => redis.disconnect());

const calledNames = (lua: string): Set<string> => new Set([...lua.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!));
const definedNames = (lua: string): Set<string> => new Set([...lua.matchAll(/local function (\w+)/g)].map((m) => m[1]!));

describe.each(Object.entries(DIRS))('%s commands', (_stage, dir) => {
  const commands = loadLuaCommands(dir);

  it.each(commands.map((c) => [c.name, c] as const))('%s: its header lists KEYS[1..n] for n in its file name', (_name, command) => {
    const header = /^--\[\[([\s\S]*?)\]\]/.exec(command.lua)?.[1] ?? '';
    const keys = [...header.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    expect(Math.max(0, ...keys)).toBe(command.numberOfKeys);
    expect(header).toMatch(/Output/);
  });

  it.each(commands.map((c) => [c.name, c] as const))('%s: compiles in Redis, with each fragment inlined once', async (_name, command) => {
    expect(await redis.script('LOAD', command.lua)).toMatch(/^[0-9a-f]{40}$/);
    for (const name of definedNames(command.lua)) {
      expect(command.lua.split(`local function ${name}(`).length - 1, name).toBe(1);
    }
  });
});

describe.each(Object.entries(DIRS))('%s fragments (includes/)', (_stage, dir) => {
  const fragments = readdirSync(new URL('./includes/', dir)).filter((f) => f.endsWith('.lua'));
  const everyDefinition = new Set(fragments.flatMap((f) => [...definedNames(readFileSync(new URL(`./includes/${f}`, dir), 'utf8'))]));

  it.each(fragments)('%s includes every fragment whose functions it calls', (file) => {
    const alone = expandLua(dir, `includes/${file}`);
    const defined = definedNames(alone);
    for (const name of calledNames(alone)) {
      if (everyDefinition.has(name)) expect(defined.has(name), `${file} calls ${name}`).toBe(true);
    }
  });

  it.runIf(dir === DIRS.store)('a fragment asked for twice along the way is inlined once', () => {
    expect(expandLua(dir, 'includes/groupPositions.lua')).toContain('local function compareStreamIds(');
    // Expanding a file whose fragments were already inlined along the way inlines nothing more.
    const expanded = expandLua(dir, 'appendEvents-4.lua', new Set(['includes/groupPositions', 'includes/compareStreamIds']));
    expect(expanded).not.toContain('local function groupPositions(');
    expect(expanded).not.toContain('local function compareStreamIds(');
  });
});
