#!/usr/bin/env node
// Operator CLI over a running relay's admin API: replays, redrives, dead letters, destinations.
//   kc-event-relay-admin replay --destination audit --from 2026-11-20T00:00:00Z --to 2026-11-21T00:00:00Z
//   kc-event-relay-admin redrive --destination audit
// The relay is RELAY_URL (default http://127.0.0.1:8080), the token ADMIN_TOKEN (or --url/--token).
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { JobStatus } from './forward/replay.js';

const USAGE = `usage: kc-event-relay-admin <command> [options]
commands:
  destinations                                  state of every destination (lag, pending, dead letters, circuit)
  replay  --destination NAME [--from X] [--to Y]  re-deliver buffered events (X, Y: ISO time or uid)
  redrive --destination NAME                    re-send the destination's dead letters
  dead-letters --destination NAME [--limit N]   list dead letters
options: --url URL (default $RELAY_URL or http://127.0.0.1:8080), --token TOKEN (default $ADMIN_TOKEN)`;

async function call(base: string, token: string, method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.body.json()) as { error?: { code: string; message: string } };
  if (res.statusCode >= 400) throw new Error(`${json.error?.code ?? res.statusCode}: ${json.error?.message ?? ''}`);
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

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      destination: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 64;
  }
  const base = (values.url ?? process.env.RELAY_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = values.token ?? process.env.ADMIN_TOKEN;
  if (!token) throw new Error('an admin token is needed: --token or ADMIN_TOKEN');
  const destination = (): string => {
    if (!values.destination) throw new Error(`${command} needs --destination NAME`);
    return values.destination;
  };

  switch (command) {
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
