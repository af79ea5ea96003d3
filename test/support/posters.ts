// Concurrent posters that behave as the emitter does: each posts a fresh event and resends the same
// uid until it is answered 200; every request is bounded (no answer within hangMs is recorded as
// a hang), and the whole run is bounded in requests and time.
import { request } from 'undici';
import { freshUid, basic } from './payloads.js';
import { NODE, SECRET } from './relay.js';

export interface Attempt {
  uid: string;
  /** HTTP status, or null when no answer came (socket error, or no answer within hangMs). */
  status: number | null;
  /** `status` of a 200 body (accepted, duplicate), or the error code of any other answer, or the client error. */
  detail: string;
  /** The error message of an answer other than 200 (empty otherwise). */
  message: string;
  /** The Retry-After header of the answer, when it had one. */
  retryAfter: string | null;
  startedAt: number;
  ms: number;
  /** Which poster sent it, and the target it went to. */
  poster: number;
  target: string;
}

export interface PosterOptions {
  posters: number;
  /** The base URL for the next request (a relay, the round-robin proxy, or one chosen per request). */
  target: (poster: number) => string;
  /** The body of an event with this uid; `n` counts the uids of the whole run. */
  body: (uid: string, n: number) => string;
  /** Polled between requests: the run ends once it says so. */
  stop: () => boolean;
  maxRequests: number;
  maxMs: number;
  hangMs: number;
  /** Pause between two requests of one poster, so that two cores are not saturated by the test itself. */
  pauseMs: number;
  /** One connection per request, so that a round-robin balancer spreads them. */
  closeEach?: boolean;
  /** Called with each uid once it is answered 200 (the emitter forgets it then). */
  onAccepted?: (uid: string, n: number) => void | Promise<void>;
}

export interface PosterRun {
  attempts: Attempt[];
  /** uids answered 200, in order, with their sequence number. */
  accepted: Map<string, number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runPosters(o: PosterOptions): Promise<PosterRun> {
  const attempts: Attempt[] = [];
  const accepted = new Map<string, number>();
  const deadline = Date.now() + o.maxMs;
  let n = 0;
  const over = (): boolean => o.stop() || attempts.length >= o.maxRequests || Date.now() > deadline;

  const poster = async (p: number): Promise<void> => {
    while (!over()) {
      const uid = freshUid();
      const seq = n++;
      const body = o.body(uid, seq);
      // Resent until 200, as the emitter does; a run that ends first leaves it unanswered.
      while (!over()) {
        const target = o.target(p);
        const startedAt = Date.now();
        const attempt: Attempt = { uid, status: null, detail: '', message: '', retryAfter: null, startedAt, ms: 0, poster: p, target };
        try {
          const res = await request(`${target}/events`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: basic(NODE, SECRET),
              ...(o.closeEach ? { connection: 'close' } : {}),
            },
            body,
            headersTimeout: o.hangMs,
            bodyTimeout: o.hangMs,
          });
          const text = await res.body.text();
          attempt.status = res.statusCode;
          const json = text ? (JSON.parse(text) as { status?: string; error?: { code?: string; message?: string } }) : {};
          attempt.detail = json.status ?? json.error?.code ?? '';
          attempt.message = json.error?.message ?? '';
          const retryAfter = res.headers['retry-after'];
          attempt.retryAfter = typeof retryAfter === 'string' ? retryAfter : null;
        } catch (err) {
          attempt.detail = (err as { code?: string }).code ?? (err as Error).message;
        }
        attempt.ms = Date.now() - startedAt;
        attempts.push(attempt);
        if (attempt.status === 200) {
          accepted.set(uid, seq);
          await o.onAccepted?.(uid, seq);
          break;
        }
        await sleep(o.pauseMs);
      }
      await sleep(o.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: o.posters }, (_, p) => poster(p)));
  return { attempts, accepted };
}

/** Counts of attempts by `status detail`, for the printed figures. */
export function tally(attempts: readonly Attempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of attempts) {
    const key = `${a.status ?? 'no answer'} ${a.detail}`.trim();
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

/** Runs `fn` over `items`, `width` at a time (lookups after a run, without flooding the relay). */
export async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
