/**
 * Nearest-neighbour queries against a knowledge-base table: several query vectors in one LanceDB call
 * (`addQueryVector`, rows tagged with `query_index`) or one call per vector, with the same result shape.
 */
import type * as lancedb from "@lancedb/lancedb";
import { VECTOR_COLUMN } from "./kb-table.ts";

export interface QueryOptions {
  topK: number;
  /** SQL filter applied before the vector search (prefilter). */
  where?: string;
  /** Document columns returned besides the id. */
  columns: readonly string[];
  idColumn: string;
  /** IVF partitions probed when an IVF index exists. */
  nprobes?: number;
  /** Re-rank `topK × refineFactor` candidates with exact distances when an index exists. */
  refineFactor?: number;
}

/** What retrieval found for one query vector. */
export interface Retrieved {
  ids: string[];
  distances: number[];
  fields: Record<string, unknown[]>;
}

function baseQuery(table: lancedb.Table, vectors: readonly ArrayLike<number>[], options: QueryOptions) {
  let query = table.vectorSearch(Array.from(vectors[0] ?? [])).column(VECTOR_COLUMN);
  for (const v of vectors.slice(1)) query = query.addQueryVector(Array.from(v));
  query = query
    .distanceType("cosine")
    .limit(options.topK)
    .select([options.idColumn, ...options.columns.filter((c) => c !== options.idColumn), "_distance"]);
  if (options.where) query = query.where(options.where);
  if (options.nprobes) query = query.nprobes(options.nprobes);
  if (options.refineFactor) query = query.refineFactor(options.refineFactor);
  return query;
}

const empty = (columns: readonly string[]): Retrieved => ({
  ids: [],
  distances: [],
  fields: Object.fromEntries(columns.map((c) => [c, []])),
});

/** One LanceDB query for all `vectors` (same filter); results in the order of `vectors`. */
export async function searchBatched(
  table: lancedb.Table,
  vectors: readonly ArrayLike<number>[],
  options: QueryOptions,
): Promise<Retrieved[]> {
  if (vectors.length === 0) return [];
  const rows = (await baseQuery(table, vectors, options).toArray()) as Record<string, unknown>[];
  const out = vectors.map(() => empty(options.columns));
  for (const row of rows) {
    const q = vectors.length === 1 ? 0 : Number(row.query_index);
    const r = out[q];
    if (!r) continue;
    r.ids.push(String(row[options.idColumn]));
    r.distances.push(Number(row._distance));
    for (const c of options.columns) r.fields[c]?.push(row[c] ?? null);
  }
  for (const r of out) sortByDistance(r);
  return out;
}

/** One LanceDB query per vector (the baseline `searchBatched` is measured against). */
export async function searchEach(
  table: lancedb.Table,
  vectors: readonly ArrayLike<number>[],
  options: QueryOptions,
): Promise<Retrieved[]> {
  const out: Retrieved[] = [];
  for (const v of vectors) out.push(...(await searchBatched(table, [v], options)));
  return out;
}

function sortByDistance(r: Retrieved): void {
  const order = r.distances
    .map((d, i) => [d, i] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, i]) => i);
  r.ids = order.map((i) => r.ids[i] as string);
  r.distances = order.map((i) => r.distances[i] as number);
  for (const c of Object.keys(r.fields)) {
    const col = r.fields[c] as unknown[];
    r.fields[c] = order.map((i) => col[i]);
  }
}
