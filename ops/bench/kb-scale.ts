/**
 * The LanceDB tier at scale: a generated 1,000,000-row knowledge base (200 tenants × 5,000 documents, 64-d unit
 * vectors around 40 topic centroids per tenant: vectors made directly, not by the encoder, so generation takes
 * seconds), built the way `kb build` indexes a large table (IVF_PQ + bitmap on tenant_id). Over the default
 * memory budget at 1M rows, so `enrich` answers from LanceDB (smaller tables fit and are answered from memory;
 * `tier` in the result says which): its records/s over micro-batches of 256, and recall@5 of its answers against
 * exact (index-bypassing) search. Prints JSON and writes bench/results/kb-scale.json. Index building dominates
 * the run time (392 s for 100,000 rows on the shared 2-core machine).
 * Run: npx tsx ops/bench/kb-scale.ts [rows=1000000] [queries=2048]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import { enrichProcessor } from "../../processors/enrich-lancedb.ts";
import { chooseVectorIndex, QUERY_DEFAULTS } from "../../processors/kb-index-params.ts";
import { VECTOR_COLUMN } from "../../processors/kb-table.ts";
import { asRecords, benchContext, stageRate } from "./bench-context.ts";

const ROWS = Number(process.argv[2] ?? 1_000_000);
const QUERIES = Number(process.argv[3] ?? 2048);
const TENANTS = 200;
const TOPICS = 40;
const DIM = 64;
const perTenant = Math.ceil(ROWS / TENANTS);

let seed = 12345;
const uniform = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return (seed + 0.5) / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
const unit = (v: number[]) => {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return v.map((x) => x / n);
};
const centroids = Array.from({ length: TENANTS * TOPICS }, () => unit(Array.from({ length: DIM }, gauss)));
const around = (c: number[], spread: number) => unit(c.map((x) => x + spread * gauss()));
const tenantName = (t: number) => `tenant-${String(t + 1).padStart(3, "0")}`;

const dir = await mkdtemp(path.join(os.tmpdir(), "sluice-kb-scale-"));
const db = await lancedb.connect(dir);
const t0 = performance.now();
let table: lancedb.Table | undefined;
const CHUNK = 50_000;
for (let start = 0; start < ROWS; start += CHUNK) {
  const rows = [];
  for (let r = start; r < Math.min(ROWS, start + CHUNK); r++) {
    const t = Math.floor(r / perTenant);
    const topic = r % TOPICS;
    rows.push({
      doc_id: `doc-${r}`,
      tenant_id: tenantName(t),
      category: `topic-${topic}`,
      [VECTOR_COLUMN]: around(centroids[t * TOPICS + topic] as number[], 0.35),
    });
  }
  if (!table) table = await db.createTable("kb", rows, { mode: "overwrite" });
  else await table.add(rows);
}
if (!table) throw new Error("no rows");
const generateSeconds = (performance.now() - t0) / 1000;
const t1 = performance.now();
await table.createIndex(VECTOR_COLUMN, { config: chooseVectorIndex(ROWS, DIM) });
await table.createIndex("tenant_id", { config: lancedb.Index.bitmap() });
const indexSeconds = (performance.now() - t1) / 1000;

// Queries: Zipf-ish tenants (a few busy ones), near one of the tenant's topics.
const queries = Array.from({ length: QUERIES }, (_, i) => {
  const t = Math.min(TENANTS - 1, Math.floor(TENANTS * uniform() ** 2));
  return {
    event_id: `q-${i}`,
    tenant_id: tenantName(t),
    embedding: around(centroids[t * TOPICS + Math.floor(uniform() * TOPICS)] as number[], 0.35),
  };
});

const ctx = benchContext("enrich");
const config = enrichProcessor.config.parse({
  db: dir,
  table: "kb",
  filterField: "tenant_id",
  cache: { maxEntries: 0 },
});
const enrich = enrichProcessor.create(config, { baseDir: dir });
await enrich.init?.(ctx);
const c0 = process.cpuUsage();
const { recordsPerSecond, output } = await stageRate(enrich, ctx, asRecords(queries), 256, 1);
const cpu = process.cpuUsage(c0);
const answers = output.map((r) => (r.value as { retrieval: { ids: string[]; tier: string } }).retrieval);

// Recall@5 of enrich's answers against exact search, on the first 500 queries.
const checked = Math.min(500, QUERIES);
let overlap = 0;
for (let i = 0; i < checked; i++) {
  const q = queries[i] as (typeof queries)[number];
  const exact = (await table
    .vectorSearch(q.embedding)
    .column(VECTOR_COLUMN)
    .distanceType("cosine")
    .where(`tenant_id = '${q.tenant_id}'`)
    .bypassVectorIndex()
    .limit(5)
    .select(["doc_id"])
    .toArray()) as { doc_id: string }[];
  const got = new Set(answers[i]?.ids);
  overlap += exact.filter((r) => got.has(r.doc_id)).length / 5;
}
const result = {
  rows: ROWS,
  tenants: TENANTS,
  dim: DIM,
  queries: QUERIES,
  generateSeconds: +generateSeconds.toFixed(1),
  indexSeconds: +indexSeconds.toFixed(1),
  index: `IVF_PQ (processors/kb-index-params.ts: ${Math.round(Math.sqrt(ROWS) / 2)} partitions, ${DIM / 4} sub-vectors) + bitmap(tenant_id)`,
  query: {
    ...QUERY_DEFAULTS,
    filter: "tenant_id prefilter",
    batching: "one multi-vector query per tenant group, groups concurrently",
  },
  tier: [...new Set(answers.map((a) => a.tier))],
  enrich: {
    recordsPerSecond,
    recordsPerCpuSecond: Math.round(QUERIES / ((cpu.user + cpu.system) / 1e6)),
  },
  recallAt5: +(overlap / checked).toFixed(4),
  recallQueries: checked,
  loadAverageAtEnd: os.loadavg().map((l) => +l.toFixed(2)),
};
await enrich.close?.();
await mkdir("bench/results", { recursive: true });
await writeFile("bench/results/kb-scale.json", `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
await rm(dir, { recursive: true, force: true });
