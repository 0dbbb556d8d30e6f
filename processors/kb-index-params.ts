/**
 * ANN index parameters for knowledge-base tables, chosen by measuring recall@5 (against exact search) and query
 * latency on a 60 000-row synthetic table in ops/bench/kb-index.ts (figures in bench/results/kb-index.json):
 * IVF_PQ with √rows/2 partitions and 16 sub-vectors (4 dims each), queried with nprobes 20 and refineFactor 5,
 * gave recall@5 1.000 with the tenant filter and 0.999 without, vs 0.93–0.98 for IVF_HNSW_SQ and 0.67–0.83
 * for IVF_PQ without refinement; exact search took 10 ms (filtered) / 42 ms (unfiltered) per query there.
 */
import { Index } from "@lancedb/lancedb";

/** Below this many rows exact (flat) search stays under ~7 ms per query and is exact, so no index is built. */
export const INDEX_THRESHOLD = 10_000;

/** Query settings that go with `chooseVectorIndex` (ignored by LanceDB when the table has no index). */
export const QUERY_DEFAULTS = { nprobes: 20, refineFactor: 5 } as const;

/** The vector index for a table of `rows` rows of `dim`-d vectors. */
export function chooseVectorIndex(rows: number, dim = 64): Index {
  return Index.ivfPq({
    distanceType: "cosine",
    numPartitions: Math.max(1, Math.round(Math.sqrt(rows) / 2)),
    numSubVectors: Math.max(1, Math.floor(dim / 4)),
  });
}
