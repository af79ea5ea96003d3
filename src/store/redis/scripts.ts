// Loads the Lua commands of lua/, BullMQ-style: each file is one Redis operation named
// `<name>-<numberOfKeys>.lua`, with `--- @include "includes/<fragment>"` lines inlined (once each).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

const LUA_DIR = fileURLToPath(new URL('./lua/', import.meta.url));
const INCLUDE = /^--- @include "([\w/.-]+)"\s*$/gm;

export interface LuaCommand {
  name: string;
  numberOfKeys: number;
  lua: string;
}

function resolveIncludes(source: string, seen: Set<string>): string {
  return source.replace(INCLUDE, (_line, path: string) => {
    if (seen.has(path)) return '';
    seen.add(path);
    return resolveIncludes(readFileSync(`${LUA_DIR}${path}.lua`, 'utf8'), seen);
  });
}

export function loadLuaCommands(): LuaCommand[] {
  return readdirSync(LUA_DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const match = /^(\w+)-(\d+)\.lua$/.exec(file);
      if (!match) throw new Error(`Lua file ${file} must be named <name>-<numberOfKeys>.lua`);
      return {
        name: match[1] as string,
        numberOfKeys: Number(match[2]),
        lua: resolveIncludes(readFileSync(`${LUA_DIR}${file}`, 'utf8'), new Set()),
      };
    });
}

export function defineLuaCommands(client: Redis | Cluster): void {
  for (const { name, numberOfKeys, lua } of loadLuaCommands()) {
    client.defineCommand(name, { numberOfKeys, lua });
  }
}
