/**
 * The in-memory exact tier of `enrich`: one knowledge-base table version's vectors, grouped by the filter column,
 * held in typed arrays, and the exact cosine top-k of a whole micro-batch's group computed as one matrix product
 * (a tight Float32Array loop: it beat TF.js matMul on small groups, ops/bench/ai-stages.ts). Answers are those of
 * LanceDB's flat search (same formula, ties broken by table order); LanceDB stays the system of record.
 */
import type * as lancedb from "@lancedb/lancedb";
import type { Retrieved } from "./kb-query.ts";
import { sqlLiteral, VECTOR_COLUMN } from "./kb-table.ts";

/** What the tier holds for one filter value (or the whole table when there is no filter). */
interface Group {
  /** Row-major `[rows, dim]` document vectors. */
  vectors: Float32Array;
  /** Euclidean norm of each document vector. */
  norms: Float64Array;
  ids: string[];
  /** Copied document columns, one array per column, in row order. */
  fields: Record<string, unknown[]>;
}

export interface MemoryTierOptions {
  idColumn: string;
  /** Column grouped on (the record's filter value selects the group). @default no grouping */
  filterColumn?: string | undefined;
  /** Document columns returned with each hit. */
  fields: readonly string[];
  dim: number;
}

/** Bytes a table of `rows` documents of `dim` dimensions takes in the tier, estimated before loading it. */
export function estimateTierBytes(rows: number, dim: number): number {
  return rows * (dim * 4 + 8 + 96);
}

/** Key of a group: the SQL literal of the filter value, as enrich writes its LanceDB `where` (`''` = no filter). */
export const groupKey = (value: unknown): string => (value === undefined ? "" : sqlLiteral(value));

export class MemoryTier {
  private constructor(
    /** The table version the vectors were read from. */
    readonly version: number,
    /** Typed arrays plus an estimate of the strings held. */
    readonly bytes: number,
    readonly rows: number,
    private readonly groups: Map<string, Group>,
    private readonly options: MemoryTierOptions,
  ) {}

  /** Reads every row of `table` at its checked-out `version` into the tier. */
  static async load(table: lancedb.Table, version: number, options: MemoryTierOptions): Promise<MemoryTier> {
    const { idColumn, filterColumn, fields, dim } = options;
    const columns = [...new Set([idColumn, ...fields, ...(filterColumn ? [filterColumn] : []), VECTOR_COLUMN])];
    const data = await table.query().select(columns).toArrow();
    const vectorColumn = data.getChild(VECTOR_COLUMN);
    const idVector = data.getChild(idColumn);
    const filterVector = filterColumn ? data.getChild(filterColumn) : null;
    const fieldVectors = fields.map((c) => [c, data.getChild(c)] as const);
    if (!vectorColumn || !idVector) throw new Error(`table has no ${VECTOR_COLUMN} or ${idColumn} column`);
    // Row indices per group, in table order (the order LanceDB's flat search breaks ties in).
    const members = new Map<string, number[]>();
    for (let r = 0; r < data.numRows; r++) {
      const f = filterVector ? filterVector.get(r) : undefined;
      if (filterVector && (f === null || f === undefined)) continue; // `col = x` never matches NULL
      const key = groupKey(f);
      const list = members.get(key);
      if (list) list.push(r);
      else members.set(key, [r]);
    }
    const flat = new Float32Array(data.numRows * dim);
    let offset = 0;
    for (const chunk of vectorColumn.data) {
      const child = chunk.children[0];
      const values = child?.values as Float32Array | undefined;
      if (!child || !values) throw new Error(`${VECTOR_COLUMN} column is not a fixed-size float list`);
      const start = (chunk.offset + child.offset) * dim;
      flat.set(values.subarray(start, start + chunk.length * dim), offset);
      offset += chunk.length * dim;
    }
    const groups = new Map<string, Group>();
    let stringBytes = 0;
    for (const [key, rowsOf] of members) {
      const vectors = new Float32Array(rowsOf.length * dim);
      const norms = new Float64Array(rowsOf.length);
      const ids: string[] = [];
      const groupFields: Record<string, unknown[]> = Object.fromEntries(fields.map((c) => [c, []]));
      rowsOf.forEach((r, i) => {
        const v = flat.subarray(r * dim, (r + 1) * dim);
        vectors.set(v, i * dim);
        let n = 0;
        for (let d = 0; d < dim; d++) n += (v[d] as number) * (v[d] as number);
        norms[i] = Math.sqrt(n);
        const id = String(idVector.get(r));
        ids.push(id);
        stringBytes += 2 * id.length + 16;
        for (const [c, vec] of fieldVectors) {
          const x = vec?.get(r) ?? null;
          groupFields[c]?.push(x);
          stringBytes += typeof x === "string" ? 2 * x.length + 16 : 8;
        }
      });
      groups.set(key, { vectors, norms, ids, fields: groupFields });
    }
    const bytes = flat.byteLength + stringBytes + data.numRows * 8;
    return new MemoryTier(version, bytes, data.numRows, groups, options);
  }

  /**
   * Exact top-`k` by cosine distance (`1 − a·b / (|a| |b|)`, LanceDB's formula) of every query against the
   * documents of `group`: the `[queries, docs]` score matrix in one pass, then a bounded insertion per row.
   */
  search(queries: readonly ArrayLike<number>[], group: string, k: number): Retrieved[] {
    const g = this.groups.get(group);
    const { dim, fields } = this.options;
    if (!g)
      return queries.map(() => ({ ids: [], distances: [], fields: Object.fromEntries(fields.map((c) => [c, []])) }));
    const n = g.ids.length;
    const m = queries.length;
    const top = Math.min(k, n);
    // Q: the queries row-major, and their norms.
    const q = new Float32Array(m * dim);
    const qNorms = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const query = queries[i] as ArrayLike<number>;
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const x = query[d] as number;
        q[i * dim + d] = x;
        s += x * x;
      }
      qNorms[i] = Math.sqrt(s);
    }
    const dots = matMulTransposed(q, m, g.vectors, n, dim);
    const bestD = new Float64Array(top);
    const bestI = new Int32Array(top);
    const out: Retrieved[] = [];
    for (let i = 0; i < m; i++) {
      const qn = qNorms[i] as number;
      let filled = 0;
      for (let j = 0; j < n; j++) {
        const denom = qn * (g.norms[j] as number);
        const dist = denom > 0 ? 1 - (dots[i * n + j] as number) / denom : 1;
        if (filled === top && dist >= (bestD[top - 1] as number)) continue;
        // Insert keeping ascending distance; an equal distance goes after the earlier row (table order).
        let p = filled < top ? filled++ : top - 1;
        while (p > 0 && (bestD[p - 1] as number) > dist) {
          bestD[p] = bestD[p - 1] as number;
          bestI[p] = bestI[p - 1] as number;
          p--;
        }
        bestD[p] = dist;
        bestI[p] = j;
      }
      const ids: string[] = [];
      const distances: number[] = [];
      const hitFields: Record<string, unknown[]> = {};
      for (const c of fields) hitFields[c] = [];
      for (let t = 0; t < filled; t++) {
        const j = bestI[t] as number;
        ids.push(g.ids[j] as string);
        distances.push(bestD[t] as number);
        for (const c of fields) (hitFields[c] as unknown[]).push((g.fields[c] as unknown[])[j]);
      }
      out.push({ ids, distances, fields: hitFields });
    }
    return out;
  }
}

/**
 * `A · Bᵀ` for row-major `A` `[m, dim]` and `B` `[n, dim]` (float64 accumulation): four rows of `B` per pass,
 * so each element of a row of `A` is loaded once per four dot products.
 */
export function matMulTransposed(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(m * n);
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const ai = i * dim;
    const oi = i * n;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = j * dim;
      const b1 = b0 + dim;
      const b2 = b1 + dim;
      const b3 = b2 + dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < dim; d++) {
        const x = a[ai + d] as number;
        s0 += x * (b[b0 + d] as number);
        s1 += x * (b[b1 + d] as number);
        s2 += x * (b[b2 + d] as number);
        s3 += x * (b[b3 + d] as number);
      }
      out[oi + j] = s0;
      out[oi + j + 1] = s1;
      out[oi + j + 2] = s2;
      out[oi + j + 3] = s3;
    }
    for (; j < n; j++) {
      const bj = j * dim;
      let s = 0;
      for (let d = 0; d < dim; d++) s += (a[ai + d] as number) * (b[bj + d] as number);
      out[oi + j] = s;
    }
  }
  return out;
}
