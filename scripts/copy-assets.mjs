#!/usr/bin/env node
// Build steps around tsc. `--clean` (before it): an empty dist/, so that nothing compiled from a
// deleted source file is ever packed. Then (after it): the Lua scripts and the status page's files,
// read at run time beside the compiled code, and the bins made executable (npm does it on install;
// the tests run them straight from dist/).
import { chmodSync, cpSync, rmSync } from 'node:fs';

if (process.argv.includes('--clean')) {
  rmSync('dist', { recursive: true, force: true });
} else {
  for (const lua of ['src/store/redis/lua', 'src/logout/redis/lua']) cpSync(lua, `dist/${lua}`, { recursive: true });
  cpSync('src/http/status-page', 'dist/src/http/status-page', { recursive: true });
  for (const bin of ['dist/src/bin.js', 'dist/src/cli.js']) chmodSync(bin, 0o755);
}
