#!/usr/bin/env node
// Operator CLI (the `kc-event-relay-admin` bin): a running relay's admin API, and the relay's decoder
// offline. Uses Node's own fetch: the admin commands run wherever the package's `engines` allow.
//   kc-event-relay-admin replay --destination audit --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z
//   kc-event-relay-admin decode --schema emitter-2018 quarantined.bin
// The relay is RELAY_URL (default http://127.0.0.1:8080), the token ADMIN_TOKEN (or --url/--token).
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeCapture, readCapture } from './cli/decode.js';
import { formatStats } from './cli/stats.js';
import type { JobStatus } from './forward/replay.js';
import type { Summary } from './metrics/summary.js';

const USAGE = `usage: kc-event-relay-admin <command> [options]
commands:
  stats [--json]                                counters of the relay: ingest, answer time, buffer, destinations, logouts
  destinations                                  state of every destination (lag, pending, dead letters, circuit)
  replay  --destination NAME [--from X] [--to Y]  re-deliver buffered events (X, Y: ISO time or uid)
  redrive --destination NAME                    re-send the destination's dead letters
  dead-letters --destination NAME [--limit N]   list dead letters
  revocations --realm R [--limit N]             the realm's revocations in force (cluster logout)
  revocations lift --realm R (--realm-wide | --user U [--client C] | --session S | --client C)
                                                lift one revocation (the relay logs who and what)
  decode <file|-> [--schema S] [--keycloak V] [--base64]
                                                print the canonical event the relay makes of a captured body
                                                (offline; --base64 for a body as GET /admin/quarantine gives it;
                                                --schema defaults to $FLATBUFFERS_SCHEMA or emitter-2018,
                                                --keycloak to $KEYCLOAK_VERSION or the schema's default;
                                                --charset C: the Content-Type charset it came with;
                                                --body-charset auto|latin1|utf-8 as BODY_CHARSET)
options: --url URL (default $RELAY_URL or http://127.0.0.1:8080), --token TOKEN (default $ADMIN_TOKEN)`;

async function call(base: string, token: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: object): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (res.status >= 400) throw new Error(`${json.error?.code ?? res.status}: ${json.error?.message ?? ''}`);
  return json;
}

/** A progress bar on a terminal; a line every few seconds otherwise (logs, CI). */
function render(job: JobStatus, tty: boolean): string {
  const total = Math.max(job.total, job.scanned, 1);
  const width = 30;
  const filled = Math.round((job.scanned / total) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const line = `${bar} ${job.scanned}/${job.total} scanned, ${job.matched} matched, ${job.delivered} delivered, ${job.deadLettered} dead-lettered`;
  return tty ? `\r${line}` : `${line}\n`;
}

async function follow(base: string, token: string, started: JobStatus): Promise<JobStatus> {
  const tty = process.stderr.isTTY === true;
  let job = started;
  let lastLine = 0;
  for (;;) {
    if (tty || Date.now() - lastLine > 5_000 || job.state !== 'running') {
      process.stderr.write(render(job, tty));
      lastLine = Date.now();
    }
    if (job.state !== 'running') break;
    await sleep(tty ? 250 : 1_000);
    job = (await call(base, token, 'GET', `/admin/jobs/${job.id}`)) as JobStatus;
  }
  if (tty) process.stderr.write('\n');
  return job;
}

/** The scope of `revocations lift` as a path under the realm: exactly one, the realm-wide one only when named. */
function liftPath(values: { 'realm-wide'?: boolean; user?: string; client?: string; session?: string }): string {
  const id = encodeURIComponent;
  const { user, client, session } = values;
  const paths = [
    values['realm-wide'] === true ? '/realm' : null,
    session === undefined ? null : `/sessions/${id(session)}`,
    user === undefined ? null : `/users/${id(user)}${client === undefined ? '' : `/clients/${id(client)}`}`,
    client === undefined || user !== undefined ? null : `/clients/${id(client)}`,
  ].filter((path) => path !== null);
  if (paths.length !== 1)
    throw new Error('revocations lift needs exactly one of --realm-wide, --user U [--client C], --session S, --client C');
  return paths[0] as string;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      destination: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      realm: { type: 'string' },
      'realm-wide': { type: 'boolean' },
      user: { type: 'string' },
      client: { type: 'string' },
      session: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      schema: { type: 'string' },
      keycloak: { type: 'string' },
      charset: { type: 'string' },
      'body-charset': { type: 'string' },
      node: { type: 'string' },
      'max-clock-skew': { type: 'string' },
      base64: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 64;
  }

  if (command === 'decode') {
    const input = positionals[1];
    if (!input) throw new Error('decode needs a file, or - for standard input');
    // The decoder reads uids through JSON.parse's source text (Node 22+): older Node would round them.
    if (Number(process.versions.node.split('.')[0]) < 22)
      throw new Error(`decode needs Node 22 or later; this is Node ${process.versions.node}`);
    try {
      const event = decodeCapture(readCapture(input, values.base64 === true), {
        schema: values.schema,
        keycloak: values.keycloak,
        charset: values.charset,
        bodyCharset: values['body-charset'],
        node: values.node,
        maxClockSkew: values['max-clock-skew'],
      });
      process.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
      return 0;
    } catch (err) {
      const coded = err as { code?: string; message: string };
      if (!coded.code?.startsWith('KCR_ERR_')) throw err;
      // What the relay would answer: quarantined (or rejected) with this code.
      process.stderr.write(`${coded.code}: ${coded.message}\n`);
      return 65; // EX_DATAERR
    }
  }

  const base = (values.url ?? process.env.RELAY_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = values.token ?? process.env.ADMIN_TOKEN;
  if (!token) throw new Error('an admin token is needed: --token or ADMIN_TOKEN');
  const destination = (): string => {
    if (!values.destination) throw new Error(`${command} needs --destination NAME`);
    return values.destination;
  };

  switch (command) {
    case 'stats': {
      const summary = (await call(base, token, 'GET', '/admin/summary')) as Summary;
      process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : formatStats(summary));
      return 0;
    }
    case 'destinations':
    case 'dead-letters': {
      const path =
        command === 'destinations'
          ? '/admin/destinations'
          : `/admin/destinations/${encodeURIComponent(destination())}/dead-letters?limit=${values.limit ?? 100}`;
      process.stdout.write(`${JSON.stringify(await call(base, token, 'GET', path), null, 2)}\n`);
      return 0;
    }
    case 'replay':
    case 'redrive': {
      const started = (
        command === 'replay'
          ? await call(base, token, 'POST', '/admin/replay', { destination: destination(), from: values.from, to: values.to })
          : await call(base, token, 'POST', `/admin/destinations/${encodeURIComponent(destination())}/redrive`)
      ) as JobStatus;
      const job = await follow(base, token, started);
      process.stdout.write(`${JSON.stringify(job)}\n`);
      return job.state === 'done' ? 0 : 1;
    }
    case 'revocations': {
      if (!values.realm) throw new Error('revocations needs --realm R');
      const realm = `/admin/revocations/${encodeURIComponent(values.realm)}`;
      if (positionals[1] === 'lift') {
        const lifted = await call(base, token, 'DELETE', realm + liftPath(values));
        process.stdout.write(`${JSON.stringify(lifted, null, 2)}\n`);
        return 0;
      }
      if (positionals[1] !== undefined) throw new Error(`unknown revocations command "${positionals[1]}" (list, or lift)`);
      const query = new URLSearchParams({ realmId: values.realm, limit: values.limit ?? '100' });
      process.stdout.write(`${JSON.stringify(await call(base, token, 'GET', `/admin/revocations?${query.toString()}`), null, 2)}\n`);
      return 0;
    }
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 64;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kc-event-relay-admin: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
