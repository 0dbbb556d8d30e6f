/**
 * The canary split: a stable hash of the record key picks a bucket in [0, 10 000), and the canaries' weights
 * claim consecutive ranges of buckets, in the order the topology lists them. The same key always lands in the
 * same bucket, so a customer stays on one model version for as long as the weights stay the same; raising a
 * weight only moves keys from the primary to that canary, never between canaries.
 */

/** Buckets of the split; a weight is applied at 0.01 % resolution. */
export const BUCKETS = 10_000;

/** FNV-1a (32 bit) over the key's bytes: stable across processes, hosts and Node versions. */
export function keyBucket(key: Buffer | string | null): number {
  const bytes = key === null ? Buffer.alloc(0) : typeof key === "string" ? Buffer.from(key, "utf8") : key;
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % BUCKETS;
}

export interface CanaryWeight {
  readonly id: string;
  /** Share of keys, 0..1. */
  readonly weight: number;
}

/**
 * The canary that acts for `bucket`, or undefined for the primary. Weights are clamped so their sum is at most
 * 1: a canary whose range would pass the last bucket gets what is left.
 */
export function canaryFor(bucket: number, canaries: readonly CanaryWeight[]): string | undefined {
  let from = 0;
  for (const canary of canaries) {
    const to = Math.min(BUCKETS, from + Math.round(Math.max(0, canary.weight) * BUCKETS));
    if (bucket >= from && bucket < to) return canary.id;
    from = to;
  }
  return undefined;
}
