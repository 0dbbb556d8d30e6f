/**
 * Chooses the knowledge-base ANN index by measurement: builds a large synthetic KB table, then compares exact
 * search with IVF_PQ and IVF_HNSW_SQ variants on recall@5 (overlap with exact top-5) and query latency, with
 * and without the tenant filter. Prints JSON and writes bench/results/kb-index.json.
 * Run: npx tsx ops/bench/kb-index.ts [docsPerCategory=50] [tenants=200]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Index, type Table } from "@lancedb/lancedb";
import { generateEvents, generateKnowledgeBase } from "../../models/synthetic.ts";
import { searchBatched } from "../../processors/kb-query.ts";
import { openKbTable, VECTOR_COLUMN } from "../../processors/kb-table.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { loadTextEncoder } from "../../processors/text-encoder.ts";

const perCategory = Number(process.argv[2] ?? 50);
const tenants = Number(process.argv[3] ?? 200);
const encoderDir = path.resolve("models/encoder");
const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-kb-index-"));
const docs = generateKnowledgeBase(7, { tenants, docsPerCategory: perCategory });
const t0 = performance.now();
await buildKnowledgeBase(docs, { db: dir, table: "kb", encoder: encoderDir, indexThreshold: Number.POSITIVE_INFINITY });
const buildSeconds = (performance.now() - t0) / 1000;
const { table } = await openKbTable(dir, "kb");
const encoder = await loadTextEncoder(encoderDir);
const events = generateEvents(300, 99, { tenants });
const vectors = encoder.encode(events.map((e) => e.text));

type Variant = { name: string; index?: Index; nprobes?: number; refineFactor?: number; ef?: number };
const rows = docs.length;
const sq = Math.round(Math.sqrt(rows));
const variants: Variant[] = [{ name: "flat (no index)" }];
for (const parts of [Math.round(sq / 2), sq]) {
  for (const sub of [8, 16]) {
    const index = Index.ivfPq({ distanceType: "cosine", numPartitions: parts, numSubVectors: sub });
    for (const nprobes of [10, 20, 40]) {
      for (const refineFactor of [undefined, 5]) {
        variants.push({
          name: `ivf_pq p=${parts} m=${sub} nprobes=${nprobes}${refineFactor ? ` refine=${refineFactor}` : ""}`,
          index,
          nprobes,
          ...(refineFactor ? { refineFactor } : {}),
        });
      }
    }
  }
}
const hnsw = Index.hnswSq({ distanceType: "cosine", numPartitions: 1 });
for (const ef of [40, 100]) variants.push({ name: `ivf_hnsw_sq p=1 ef=${ef}`, index: hnsw, ef });

async function run(t: Table, v: Variant, filtered: boolean, exact: boolean) {
  const ids: string[][] = [];
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    const opts = {
      topK: 5,
      columns: [],
      idColumn: "doc_id",
      ...(filtered ? { where: `tenant_id = '${events[i]?.tenant_id}'` } : {}),
    };
    let q = t
      .vectorSearch(Array.from(vectors[i] ?? []))
      .column(VECTOR_COLUMN)
      .distanceType("cosine")
      .limit(5)
      .select(["doc_id", "_distance"]);
    if (opts.where) q = q.where(opts.where);
    if (exact) q = q.bypassVectorIndex();
    if (v.nprobes) q = q.nprobes(v.nprobes);
    if (v.refineFactor) q = q.refineFactor(v.refineFactor);
    if (v.ef) q = q.ef(v.ef);
    ids.push(((await q.toArray()) as { doc_id: string }[]).map((r) => r.doc_id));
  }
  return { ids, msPerQuery: (performance.now() - started) / events.length };
}

const results: Record<string, unknown>[] = [];
let currentIndex: Index | undefined;
const truth = {
  filtered: await run(table, { name: "exact" }, true, true),
  all: await run(table, { name: "exact" }, false, true),
};
for (const v of variants) {
  let indexSeconds = 0;
  if (v.index && v.index !== currentIndex) {
    const s = performance.now();
    await table.createIndex(VECTOR_COLUMN, { config: v.index, replace: true });
    indexSeconds = (performance.now() - s) / 1000;
    currentIndex = v.index;
  }
  const row: Record<string, unknown> = {
    variant: v.name,
    ...(indexSeconds ? { indexSeconds: +indexSeconds.toFixed(2) } : {}),
  };
  for (const mode of ["filtered", "all"] as const) {
    const r = await run(table, v, mode === "filtered", false);
    const recall =
      r.ids.reduce((s, got, i) => s + got.filter((id) => truth[mode].ids[i]?.includes(id)).length / 5, 0) /
      events.length;
    row[mode] = { recallAt5: +recall.toFixed(4), msPerQuery: +r.msPerQuery.toFixed(3) };
  }
  results.push(row);
  console.error(JSON.stringify(row));
}
// Batched multi-vector query on the flat table for comparison with one query per record.
await table.dropIndex(`${VECTOR_COLUMN}_idx`).catch(() => undefined);
const out = {
  rows,
  tenants,
  dim: encoder.dim,
  buildSeconds: +buildSeconds.toFixed(1),
  backend: encoder.backend.name,
  results,
  searchBatchedCheck: (await searchBatched(table, vectors.slice(0, 2), { topK: 5, columns: [], idColumn: "doc_id" }))
    .length,
};
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/kb-index.json", `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
table.close();
await rm(dir, { recursive: true, force: true });
