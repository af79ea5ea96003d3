// RabbitMQ, NATS JetStream and PostgreSQL for the destination tests: the machine's own on the
// standard ports when they answer there (.ci/run starts them), else one of each started here on free
// ports (from the Debian packages' binaries) and stopped after the run; a KCR_TEST_*_URL variable
// names another, KCR_TEST_OWN_SERVERS=1 starts them here whatever runs. Where a server is neither running nor installed, its URL is '' and its tests skip
// (fail under CI).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectSocket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    amqpUrl: string;
    /** The RabbitMQ node for rabbitmqctl -n ('' = the machine's default node). */
    amqpNode: string;
    natsUrl: string;
    postgresUrl: string;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectSocket({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function awaitPort(port: number, what: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before listening on ${port}`);
    if (await listening(port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
}

const onPath = (binary: string): boolean => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;
const isRoot = (): boolean => userInfo().uid === 0;

/** Runs `command` as the `user` the server insists on when this process is root (postgres, rabbitmq). */
function asUser(user: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const full = isRoot()
    ? ['runuser', ['-u', user, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), command, ...args]]
    : [command, args];
  return spawn(full[0] as string, full[1] as string[], { stdio: 'ignore', env: { ...process.env, ...env } });
}

/** A fresh directory for a server's data, owned by the user it runs as. */
function dataDir(name: string, owner?: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kcr-${name}-`));
  if (owner && isRoot()) chownSync(dir, Number(spawnSync('id', ['-u', owner], { encoding: 'utf8' }).stdout.trim()), -1);
  return dir;
}

/** asUser, waited for (a server's stop command). */
function asUserSync(user: string, command: string, args: string[]): void {
  const [file, argv] = isRoot() ? ['runuser', ['-u', user, '--', command, ...args]] : [command, args];
  spawnSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
}

async function ownNats(stops: Array<() => void>): Promise<string> {
  if (!onPath('nats-server')) return '';
  const dir = dataDir('nats');
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  stops.push(() => child.kill('SIGKILL'));
  await awaitPort(port, 'nats-server', child);
  return `nats://127.0.0.1:${port}`;
}

async function ownPostgres(stops: Array<() => void>): Promise<string> {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const bin = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((b) => existsSync(join(b, 'initdb')));
  if (!bin) return '';
  const data = dataDir('postgres', 'postgres');
  stops.push(() => rmSync(data, { recursive: true, force: true }));
  const init = asUser('postgres', join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust']);
  await new Promise((resolve) => init.on('exit', resolve));
  const port = await freePort();
  const child = asUser('postgres', join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', data, '-c', 'listen_addresses=127.0.0.1']);
  // pg_ctl, not a signal: runuser does not pass one on to the server.
  stops.push(() => void asUserSync('postgres', join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']));
  await awaitPort(port, 'postgres', child);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  await client.query('CREATE DATABASE test');
  await client.end();
  return `postgres://postgres@127.0.0.1:${port}/test`;
}

async function ownRabbit(stops: Array<() => void>): Promise<{ url: string; node: string } | ''> {
  const server = ['/usr/lib/rabbitmq/bin/rabbitmq-server'].find(existsSync) ?? (onPath('rabbitmq-server') ? 'rabbitmq-server' : null);
  if (!server) return '';
  const port = await freePort();
  const node = `kcrtest${port}@localhost`;
  const base = dataDir('rabbitmq', 'rabbitmq');
  stops.push(() => rmSync(base, { recursive: true, force: true }));
  // A configuration of its own: the machine's (/etc/rabbitmq) pins the node name and port 5672.
  writeFileSync(join(base, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
  writeFileSync(join(base, 'rabbitmq-env.conf'), '');
  const env = {
    RABBITMQ_NODENAME: node,
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const child = asUser('rabbitmq', server, [], env);
  stops.push(() => spawnSync('rabbitmqctl', ['-n', node, 'stop'], { stdio: 'ignore', timeout: 30_000 }));
  await awaitPort(port, 'rabbitmq-server', child, 120_000);
  spawnSync('rabbitmqctl', ['-n', node, 'await_startup'], { stdio: 'ignore', timeout: 60_000 });
  return { url: `amqp://guest:guest@127.0.0.1:${port}`, node };
}

/** The server's URL: the variable's, the standard port's, or one started here ('' when none can be). */
async function service<T extends string | { url: string; node: string }>(
  variable: string,
  standard: string,
  start: () => Promise<T | ''>,
): Promise<T | string> {
  const given = process.env[variable];
  if (given) return given;
  // KCR_TEST_OWN_SERVERS=1: servers of the run's own even where the standard ones answer.
  if (process.env.KCR_TEST_OWN_SERVERS !== '1' && (await listening(Number(new URL(standard).port)))) return standard;
  return start().catch((err: Error) => {
    console.warn(`could not start a server for the destination tests (${standard}): ${err.message}`);
    return '';
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => void> = [];
  const [amqp, nats, postgres] = await Promise.all([
    service('KCR_TEST_AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672', () => ownRabbit(stops)),
    service('KCR_TEST_NATS_URL', 'nats://127.0.0.1:4222', () => ownNats(stops)),
    service('KCR_TEST_POSTGRES_URL', 'postgres://postgres@127.0.0.1:5432/test', () => ownPostgres(stops)),
  ]);
  project.provide('amqpUrl', typeof amqp === 'string' ? amqp : amqp.url);
  project.provide('amqpNode', typeof amqp === 'string' ? '' : amqp.node);
  project.provide('natsUrl', nats);
  project.provide('postgresUrl', postgres);
  // Servers first, their data directories after (each start pushed its directory's removal first).
  return async () => {
    for (const stop of stops.reverse()) stop();
  };
}
