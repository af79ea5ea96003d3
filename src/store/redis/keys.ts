// Key layout (docs/key-layout.md). Every key of one partition shares the hash tag `{p<N>}`, so a
// partition's Lua scripts touch a single Redis Cluster slot. Today there is one partition, p0;
// splitting later adds partitions for new time buckets without moving existing keys.
export interface PartitionKeys {
  events: string;
  stats: string;
  quarantine: string;
  /** What seen(bucket) keys start with: Lua scripts build a bucket's key from it (same hash tag, same slot). */
  seenPrefix: string;
  seen(bucket: number): string;
  /** Dead letters of one consumer group (destination). */
  dead(group: string): string;
}

export function partitionKeys(prefix: string, partition = 0): PartitionKeys {
  const base = `${prefix}{p${partition}}:`;
  return {
    events: `${base}events`,
    stats: `${base}stats`,
    quarantine: `${base}quarantine`,
    seenPrefix: `${base}seen:`,
    seen: (bucket) => `${base}seen:${bucket}`,
    dead: (group) => `${base}dead:${group}`,
  };
}
