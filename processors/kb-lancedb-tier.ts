/**
 * The LanceDB tier of `enrich`, for tables over the memory budget (or `memory.tier: lancedb`): an LRU answer
 * cache with TTL keyed by version, filter value and vector, then one multi-vector query per filter group of the
 * micro-batch (or one per record), the groups' queries in flight together. The ANN index and the scalar index on
 * the filter column come from `kb build` (knowledge-base.ts).
 */
import type * as lancedb from "@lancedb/lancedb";
import { LRUCache } from "lru-cache";
import { TransientError } from "../core/errors.ts";
import { type QueryOptions, type Retrieved, searchBatched, searchEach } from "./kb-query.ts";

/** One record's query: its index in the micro-batch, its vector, and the SQL literal of its filter value. */
export interface TierQuery {
  index: number;
  vector: ArrayLike<number>;
  /** `''` without a filter. */
  group: string;
}

export interface LanceDbTierOptions {
  cache: { maxEntries: number; ttlMs: number };
  /** One multi-vector query per group (true) or one query per record. */
  batchQuery: boolean;
  /** Query settings for a group (its `where`, top-k, columns, nprobes, refine factor). */
  queryOptions(group: string): QueryOptions;
  /** What an error names: `<processor>: querying table <table>`. */
  describe: string;
}

export class LanceDbTier {
  private readonly cache: LRUCache<string, Retrieved> | undefined;

  constructor(private readonly o: LanceDbTierOptions) {
    this.cache =
      o.cache.maxEntries > 0
        ? new LRUCache<string, Retrieved>({ max: o.cache.maxEntries, ttl: o.cache.ttlMs })
        : undefined;
  }

  /** Answers `queries` against `table` (checked out at `version`) into `results`; returns the cache hits. */
  async search(
    table: lancedb.Table,
    version: number,
    queries: readonly TierQuery[],
    results: Map<number, Retrieved>,
  ): Promise<number> {
    const misses = new Map<string, { q: TierQuery; key: string }[]>();
    let hits = 0;
    for (const q of queries) {
      const key = `${version}\0${q.group}\0${Buffer.from(Float32Array.from(q.vector).buffer).toString("base64")}`;
      const hit = this.cache?.get(key);
      if (hit) {
        results.set(q.index, hit);
        hits++;
      } else misses.set(q.group, [...(misses.get(q.group) ?? []), { q, key }]);
    }
    const search = this.o.batchQuery ? searchBatched : searchEach;
    try {
      await Promise.all(
        [...misses].map(async ([group, list]) => {
          const found = await search(
            table,
            list.map((m) => m.q.vector),
            this.o.queryOptions(group),
          );
          list.forEach((m, i) => {
            const r = found[i] as Retrieved;
            results.set(m.q.index, r);
            this.cache?.set(m.key, r);
          });
        }),
      );
    } catch (error) {
      throw new TransientError(`${this.o.describe}: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    }
    return hits;
  }
}
