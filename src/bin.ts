#!/usr/bin/env node
// The `kc-event-relay` bin. The package also serves application nodes (the logout client, on older
// Node), so its `engines` are theirs; the relay itself needs Node 24 (node:sqlite, undici 8), checked
// here before any of it loads, with a message instead of a module-loading stack trace.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(`kc-event-relay: the relay needs Node 24 or later; this is Node ${process.versions.node}\n`);
  process.exit(1);
}
await import('./main.js');
