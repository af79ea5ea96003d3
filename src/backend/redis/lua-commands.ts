// Loads a folder of Lua commands, BullMQ-style: each file is one Redis operation named
// `<name>-<numberOfKeys>.lua`, with `--- @include "includes/<fragment>"` lines inlined (once each,
// however many files along the way ask for a fragment). Each stage owns its folder: the store's
// scripts are in src/store/redis/lua/, the logout bus's in src/logout/redis/lua/.
import { readdirSync, readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

const INCLUDE = /^--- @include "([\w/.-]+)"\s*$/gm;
const COMMAND_FILE = /^(\w+)-(\d+)\.lua$/;

export interface LuaCommand {
  name: string;
  numberOfKeys: number;
  lua: string;
}

/** The source of `file` in `dir` with its includes inlined; `seen` holds fragments already inlined. */
export function expandLua(dir: URL, file: string, seen: Set<string> = new Set()): string {
  return readFileSync(new URL(file, dir), 'utf8').replace(INCLUDE, (_line, path: string) => {
    if (seen.has(path)) return '';
    seen.add(path);
    return expandLua(dir, `${path}.lua`, seen);
  });
}

export function loadLuaCommands(dir: URL): LuaCommand[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const match = COMMAND_FILE.exec(file);
      if (!match) throw new Error(`Lua file ${file} must be named <name>-<numberOfKeys>.lua`);
      return { name: match[1] as string, numberOfKeys: Number(match[2]), lua: expandLua(dir, file) };
    });
}

export function defineLuaCommands(client: Redis | Cluster, dir: URL): void {
  for (const { name, numberOfKeys, lua } of loadLuaCommands(dir)) {
    client.defineCommand(name, { numberOfKeys, lua });
  }
}
