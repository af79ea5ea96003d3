// The docker and docker-compose CLIs, for the container tests (test/container/, `npm run
// test:container`): every call bounded in time, failures thrown with the command's own output.
import { execFile } from 'node:child_process';
import { request } from 'undici';
import { until } from './sink.js';

export interface Run {
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (at most `timeoutMs`), throwing with its output when it fails. */
export function run(file: string, args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
  });
}

export const docker = (args: string[], timeoutMs?: number): Promise<Run> => run('docker', args, timeoutMs ? { timeoutMs } : {});

/** `docker inspect -f <format>` of a container or image, trimmed. */
export async function inspect(name: string, format: string): Promise<string> {
  return (await docker(['inspect', '-f', format, name])).stdout.trim();
}

/** The 127.0.0.1 URL that a container's port 8080 is published on. */
export async function publishedUrl(container: string): Promise<string> {
  const line = (await docker(['port', container, '8080/tcp'])).stdout.trim().split('\n')[0]!;
  return `http://${line}`;
}

/** Polls `url` until it answers 200; returns when it did. */
export async function untilOk(url: string, timeoutMs: number, what: string): Promise<void> {
  await until(
    async () => {
      try {
        const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
        await res.body.dump();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    },
    timeoutMs,
    what,
  );
}

/** Waits for the image's HEALTHCHECK to call the container healthy (its interval is 10 s). */
export async function untilHealthy(container: string, timeoutMs = 60_000): Promise<void> {
  await until(async () => (await inspect(container, '{{.State.Health.Status}}')) === 'healthy', timeoutMs, `${container} healthy`);
}

/** The container's output, split by stream as `docker logs` keeps it. */
export async function logs(container: string): Promise<Run> {
  return docker(['logs', container]);
}

/** Removes containers and volumes by name, whatever state they are in (cleanup after a failure too). */
export async function removeAll(containers: string[], volumes: string[]): Promise<void> {
  if (containers.length > 0) await docker(['rm', '-f', '-v', ...containers]).catch(() => undefined);
  if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]).catch(() => undefined);
}
