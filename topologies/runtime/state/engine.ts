/**
 * The local engine behind one store of one task: a sorted key-value map with synchronous reads and atomic,
 * synchronous batch writes. `lmdb-engine.ts` keeps it on disk under the state directory; `memory-engine.ts`
 * keeps it in memory for the test driver. Durability comes from the changelog, not from the engine: after an
 * unclean stop the engine is wiped and restored (see `checkpoint.ts`).
 */

/** What a store keeps per key: the value and, with a TTL, when it expires (epoch ms). */
export interface StoredValue {
  readonly v: unknown;
  readonly x?: number;
}

/** One write of a batch; `value: null` deletes the key. */
export interface EngineWrite {
  readonly key: string;
  readonly value: StoredValue | null;
}

export interface StoreEngine {
  get(key: string): StoredValue | undefined;
  /** Entries with `from <= key < to`, in key order. */
  range(from?: string, to?: string): Array<{ key: string; value: StoredValue }>;
  /** Applies `writes` atomically, in order. */
  write(writes: readonly EngineWrite[]): void;
  /** Removes every entry (before a full restore). */
  clear(): void;
  /** Number of entries (for restore progress and tests). */
  size(): number;
  close(): Promise<void>;
}

/** Opens the engine of store `store` of task `taskId`. */
export type EngineFactory = (taskId: string, store: string) => StoreEngine;

/** The upper bound of a prefix scan: every key starting with `prefix` sorts below it. */
export function prefixEnd(prefix: string): string {
  return `${prefix}\uffff`;
}
