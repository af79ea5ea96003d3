// A read from the store that every caller within `maxAgeMs` shares: the gauges of one scrape (and
// the status page's summary) cost one store read instead of one each.
export function sharedRead<T>(read: () => Promise<T>, maxAgeMs = 500, now: () => number = Date.now): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | null = null;
  return () => {
    const at = now();
    if (!last || at - last.at >= maxAgeMs) last = { at, value: read() };
    return last.value;
  };
}
