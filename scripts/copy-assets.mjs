#!/usr/bin/env node
// tsc compiles TypeScript only; the Lua scripts are read at run time beside the compiled store.
import { cpSync } from 'node:fs';
cpSync('src/store/redis/lua', 'dist/src/store/redis/lua', { recursive: true });
