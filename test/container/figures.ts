// The container image's size and cold start, as `npm run test:container` measured them last, kept
// in docs/benchmarks.md between two markers (bench/lib/report.mjs keeps that block when
// `npm run bench` rewrites the rest of the file).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const FILE = 'docs/benchmarks.md';
const START = '<!-- container figures -->';
const END = '<!-- /container figures -->';
/** The aims for the image. */
const AIM_BYTES = 200e6;
const AIM_READY_MS = 2000;

export interface ContainerFigures {
  image: string;
  baseImage: string;
  /** `docker image inspect`'s Size: the layers unpacked. */
  imageBytes: number;
  /** The same of the base image, which the relay's layers add to. */
  baseBytes: number;
  /** `docker save | gzip`: about what a registry stores and a pull transfers. */
  compressedBytes: number;
  /** Wall time from `docker run` to the first 200 of /readyz on the published port, per start (the first on an empty volume). */
  coldStartMs: number[];
  /** From the container's start (State.StartedAt) to the relay's "ready" log line, per start. */
  processToReadyMs: number[];
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function revision(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function recordContainerFigures(f: ContainerFigures, file = FILE): void {
  const cold = median(f.coldStartMs);
  const block = [
    START,
    '## Container image (`npm run test:container`)',
    '',
    `_Written by \`npm run test:container\` (test/container/image.test.ts) from its last run; do not edit by hand._`,
    '',
    `- Date: ${new Date().toISOString()}; code measured: ${revision()}; machine: ${cpus().length} cores, load average (1 min) ${loadavg()[0]!.toFixed(2)} at the end (other work runs beside this test: the times are indicative)`,
    `- Image: \`${f.image}\`, built by scripts/container/build-image.sh from the Dockerfile on \`${f.baseImage}\` (scripts/container/base-images.sh)`,
    '- Run as in test/container/image.test.ts: read-only root file system, data volume, /tmp tmpfs, embedded store',
    '',
    '| figure | aim | measured | verdict |',
    '|---|---|---|---|',
    `| image size, unpacked (\`docker image inspect\`) | < ${mb(AIM_BYTES)} | ${mb(f.imageBytes)}, of which the base image ${mb(f.baseBytes)} | ${f.imageBytes < AIM_BYTES ? 'met' : '**NOT met**'} |`,
    `| image size, compressed (\`docker save \\| gzip\`, as pulled) | — | ${mb(f.compressedBytes)} | reported |`,
    `| cold start: \`docker run\` to the first 200 of \`/readyz\`, median of ${f.coldStartMs.length} starts | < ${s(AIM_READY_MS)} | ${s(cold)} (${f.coldStartMs.map(s).join(', ')}) | ${cold < AIM_READY_MS ? 'met' : '**NOT met**'} |`,
    `| container start to the relay's ready log line | — | ${f.processToReadyMs.map(s).join(', ')} | reported |`,
    END,
  ].join('\n');
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(START);
  const next = at < 0 ? `${text.trimEnd()}\n\n${block}\n` : `${text.slice(0, at)}${block}${text.slice(text.indexOf(END) + END.length)}`;
  writeFileSync(file, next);
}
