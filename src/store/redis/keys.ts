// Key layout (docs/key-layout.md). Every key of one partition shares the hash tag `{p<N>}`, so a
// partition's Lua scripts touch a single Redis Cluster slot, and PARTITIONS partitions spread the
// relay's keys over as many slots (hence shards). A uid's partition is a stable hash of the uid.
export interface PartitionKeys {
  partition: number;
  events: string;
  stats: string;
  quarantine: string;
  /** What seen(bucket) keys start with: Lua scripts build a bucket's key from it (same hash tag, same slot). */
  seenPrefix: string;
  seen(bucket: number): string;
  /** Dead letters of one consumer group (destination), for the entries of this partition. */
  dead(group: string): string;
  /** Hash: group -> the tag it reads `only` (GroupOptions), for the scripts that skip or evict for it. */
  only: string;
}

export function partitionKeys(prefix: string, partition = 0): PartitionKeys {
  const base = `${prefix}{p${partition}}:`;
  return {
    partition,
    events: `${base}events`,
    stats: `${base}stats`,
    quarantine: `${base}quarantine`,
    seenPrefix: `${base}seen:`,
    seen: (bucket) => `${base}seen:${bucket}`,
    dead: (group) => `${base}dead:${group}`,
    only: `${base}only`,
  };
}

/** Replay and redrive jobs: one hash tag, so that each job script touches one slot. */
export interface JobKeys {
  /** What a job's hash key starts with (then its id). */
  jobPrefix: string;
  running: string;
  finished: string;
}

export function jobKeys(prefix: string): JobKeys {
  const base = `${prefix}{jobs}:`;
  return { jobPrefix: `${base}job:`, running: `${base}running`, finished: `${base}finished` };
}

/** A catch-up source's hash (its lease and checkpoints): one key per script, all under one hash tag. */
export function sourceKey(prefix: string, name: string): string {
  return `${prefix}{sources}:${name}`;
}

/** Which PARTITIONS the data under a KEY_PREFIX was written with (checked at start-up). */
export function layoutKey(prefix: string): string {
  return `${prefix}{meta}:layout`;
}

/** Which layout of tags the data under a KEY_PREFIX has (layout.ts). */
export function tagsVersionKey(prefix: string): string {
  return `${prefix}{meta}:tags`;
}

/**
 * The partition of a uid: FNV-1a (32 bits) of its decimal text, modulo the partition count. Stable
 * across processes and versions, spread evenly even though the uids of one Keycloak node differ
 * mostly in their low (sequence) bits.
 */
export function partitionOf(uid: string, partitions: number): number {
  if (partitions === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) {
    hash ^= uid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}
