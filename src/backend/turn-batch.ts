// Collect for this event-loop turn, then flush once: what the Redis append (one script call per
// turn), the embedded group commit (one transaction, hence one fsync, per turn) and the ack batcher
// (one XACK for many entries) share. Items added during a turn go out together at its end
// (setImmediate: every caller of the turn has added by then, and none waits longer), or after
// `delayMs` when set; at once when the batch reaches `maxItems` items or `maxWeight` (bytes, say),
// which bounds one flush.
export interface TurnBatchLimits {
  maxItems?: number;
  maxWeight?: number;
  /** Wait this long after the first item instead of the end of the turn. */
  delayMs?: number;
}

export class TurnBatch<T> {
  private items: T[] = [];
  private weight = 0;
  private cancel: (() => void) | null = null;

  constructor(
    /** Takes the batch; runs synchronously within flush(). */
    private readonly send: (batch: T[]) => void,
    private readonly limits: TurnBatchLimits = {},
  ) {}

  add(item: T, weight = 0): void {
    this.items.push(item);
    this.weight += weight;
    if (this.items.length >= (this.limits.maxItems ?? Infinity) || this.weight >= (this.limits.maxWeight ?? Infinity)) this.flush();
    else this.cancel ??= this.schedule();
  }

  /** Sends what is queued now (nothing when empty). */
  flush(): void {
    this.cancel?.();
    this.cancel = null;
    const batch = this.items;
    if (batch.length === 0) return;
    this.items = [];
    this.weight = 0;
    this.send(batch);
  }

  private schedule(): () => void {
    const { delayMs } = this.limits;
    if (delayMs === undefined) {
      const immediate = setImmediate(() => this.flush());
      return () => clearImmediate(immediate);
    }
    const timer = setTimeout(() => this.flush(), delayMs);
    return () => clearTimeout(timer);
  }
}

/** One call's own outcome in a batch. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

interface Call<T, R> {
  input: T;
  resolve(value: R): void;
  reject(reason: unknown): void;
}

/**
 * A TurnBatch of calls: each caller gets its own result or error. `send` answers one Settled per
 * input, in order, synchronously or not; when it throws (or rejects), every call of the batch fails
 * with that error.
 */
export class TurnCalls<T, R> {
  private readonly batch: TurnBatch<Call<T, R>>;

  constructor(send: (inputs: T[]) => Settled<R>[] | Promise<Settled<R>[]>, limits: TurnBatchLimits = {}) {
    this.batch = new TurnBatch((calls) => {
      const failAll = (err: unknown): void => {
        for (const call of calls) call.reject(err);
      };
      let results: Settled<R>[] | Promise<Settled<R>[]>;
      try {
        results = send(calls.map((c) => c.input));
      } catch (err) {
        failAll(err);
        return;
      }
      if (Array.isArray(results)) settle(calls, results);
      else results.then((settled) => settle(calls, settled), failAll);
    }, limits);
  }

  run(input: T, weight = 0): Promise<R> {
    return new Promise<R>((resolve, reject) => this.batch.add({ input, resolve, reject }, weight));
  }

  /** Sends what is queued now; a synchronous `send` has settled every call when this returns. */
  flush(): void {
    this.batch.flush();
  }
}

function settle<T, R>(calls: ReadonlyArray<Call<T, R>>, results: ReadonlyArray<Settled<R>>): void {
  calls.forEach((call, i) => {
    const result = results[i];
    if (result === undefined) call.reject(new Error(`a batch of ${calls.length} calls was answered ${results.length} results`));
    else if (result.ok) call.resolve(result.value);
    else call.reject(result.error);
  });
}
