// How many relay processes WORKERS asks for, decided once at start from the configuration and the
// cores this process may use (os.availableParallelism(): a container's CPU limit included).
import type { Config } from '../config/env.js';
import { MAX_WORKERS } from '../config/env.js';

export interface WorkerCount {
  count: number;
  /** What the start-up log says when the count is not what WORKERS reads as (auto, capped, embedded). */
  note: string | null;
}

export function workerCount(config: Pick<Config, 'WORKERS' | 'REDIS_URL' | 'REDIS_CLUSTER_NODES'>, cores: number): WorkerCount {
  if (config.WORKERS !== 'auto') return { count: config.WORKERS, note: null };
  // An explicit count above 1 with the embedded store is refused by env.ts; `auto` means "what fits".
  if (!config.REDIS_URL && !config.REDIS_CLUSTER_NODES) {
    return { count: 1, note: 'WORKERS=auto: the embedded store runs in one process, so the relay runs one (WORKERS needs Redis)' };
  }
  const count = Math.max(1, Math.min(cores, MAX_WORKERS));
  return {
    count,
    note: `WORKERS=auto: ${count} relay processes for ${cores} available cores${cores > MAX_WORKERS ? ` (at most ${MAX_WORKERS})` : ''}`,
  };
}
