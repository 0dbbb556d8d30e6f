/**
 * Records/s of each AI stage alone (embed: sparse kernel vs TF.js predict; enrich: in-memory tier vs LanceDB
 * batched vs per record, and the tier's top-k kernel as a Float32Array loop vs TF.js matMul; infer at batch
 * 1/32/256/1024; decide) and of the reference topology in-process (test driver, no broker), on the backend that
 * loads here, plus the TF.js batch-size cliff analysis. Wall-clock records/s and records per CPU-second (the
 * machine is shared: CPU time is the steadier figure). Prints JSON and writes bench/results/ai-stages.json.
 * Run: npx tsx ops/bench/ai-stages.ts [events=4096]   (SLUICE_TFJS_BACKEND=cpu to force a backend)
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as lancedb from "@lancedb/lancedb";
import * as tf from "@tensorflow/tfjs";
import { generateLabelledEvents } from "../../models/synthetic.ts";
import type { Processor, StreamRecord } from "../../processors/api.ts";
import { decideProcessor } from "../../processors/decide.ts";
import { embedProcessor } from "../../processors/embed-tfjs.ts";
import { enrichProcessor } from "../../processors/enrich-lancedb.ts";
import { inferProcessor } from "../../processors/infer-tfjs.ts";
import { groupKey, MemoryTier } from "../../processors/kb-memory-tier.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { selectBackend } from "../../processors/tfjs-backend.ts";
import { TopologyTestDriver } from "../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { asRecords, type BenchContext, benchContext, stageRate } from "./bench-context.ts";
import { measureCliff } from "./tfjs-batch-cliff.ts";

const N = Number(process.argv[2] ?? 4096);
const ROOT = path.resolve(import.meta.dirname, "../..");
const env = { baseDir: ROOT };
const backend = await selectBackend();
const db = await mkdtemp(path.join(os.tmpdir(), "sluice-bench-kb-"));
await buildKnowledgeBase(path.join(ROOT, "models/kb/docs.jsonl"), {
  db,
  table: "support_kb",
  encoder: path.join(ROOT, "models/encoder"),
});
const events = asRecords(generateLabelledEvents(N, 31337).map((l) => l.event));
const result: Record<string, unknown> = {
  backend: backend.name,
  backendDetails: backend.details ?? null,
  fallbacksTried: backend.fallbacksTried,
  events: N,
  cpus: os.cpus().length,
  loadAverageAtStart: os.loadavg().map((l) => +l.toFixed(2)),
  node: process.version,
  method:
    "best of 2-3 runs per figure; stages fed the previous stage's real output; wall records/s and records per CPU-second",
};
const log = (key: string, value: unknown) => {
  result[key] = value;
  console.error(key, JSON.stringify(value));
};

/** Best-of-`reps` wall records/s and records per CPU-second (all threads of this process) of `run`. */
async function rates(records: number, run: () => Promise<unknown>, reps = 3) {
  let wall = 0;
  let cpu = 0;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const used = process.cpuUsage(c0);
    wall = Math.max(wall, records / ((performance.now() - t0) / 1000));
    cpu = Math.max(cpu, records / ((used.user + used.system) / 1e6));
  }
  return { recordsPerSecond: Math.round(wall), recordsPerCpuSecond: Math.round(cpu) };
}

/** A stage over `input` in micro-batches of `batch`, measured by `rates`; its last output is kept. */
async function stage(p: Processor, ctx: BenchContext, input: readonly StreamRecord[], batch: number, reps = 3) {
  let output: StreamRecord[] = [];
  const r = await rates(
    input.length,
    async () => {
      output = (await stageRate(p, ctx, input, batch, 1)).output;
    },
    reps,
  );
  return { ...r, output };
}

// embed: the sparse kernel vs TF.js predict() (chunks of maxBatch rows), micro-batches of 256 records.
const embedRates: Record<string, unknown> = {};
let embedded = events;
for (const [kernel, maxBatch] of [
  ["tfjs", 32],
  ["tfjs", 256],
  ["tfjs", 1024],
  ["sparse", 256],
] as const) {
  const ctx = benchContext("embed");
  const p = embedProcessor.create(embedProcessor.config.parse({ model: "models/encoder", maxBatch, kernel }), env);
  await p.init?.(ctx);
  const { output, ...r } = await stage(p, ctx, events, Math.max(256, maxBatch), 2);
  embedRates[kernel === "sparse" ? "sparse kernel" : `tfjs predict, maxBatch ${maxBatch}`] = r;
  embedded = output;
}
log("embed", embedRates);

// enrich: the in-memory tier vs LanceDB (one multi-vector query per tenant group of a 256-record micro-batch,
// or one query per record), answer cache off.
const enrichRates: Record<string, unknown> = {};
let enriched = embedded;
for (const [name, extra, input] of [
  ["memory tier (exact, in process)", {}, embedded],
  ["lancedb, batched (multi-vector query per tenant group)", { memory: { tier: "lancedb" } }, embedded.slice(0, 1024)],
  ["lancedb, per record", { memory: { tier: "lancedb" }, batchQuery: false }, embedded.slice(0, 256)],
] as const) {
  const ctx = benchContext("enrich");
  const config = { db, table: "support_kb", filterField: "tenant_id", fields: ["category"], cache: { maxEntries: 0 } };
  const p = enrichProcessor.create(enrichProcessor.config.parse({ ...config, ...extra }), env);
  await p.init?.(ctx);
  const { output, ...r } = await stage(p, ctx, input, 256, 2);
  enrichRates[name] = r;
  if (input === embedded) enriched = output;
  await p.close?.();
}
log("enrich", enrichRates);

// The memory tier's kernel: the exact top-5 of every 256-query micro-batch, grouped by tenant, as the tier's
// Float32Array A·Bᵀ loop vs TF.js matMul + topk on the active backend (same groups, same documents).
{
  const table = await (await lancedb.connect(db)).openTable("support_kb");
  const tier = await MemoryTier.load(table, await table.version(), {
    idColumn: "doc_id",
    filterColumn: "tenant_id",
    fields: [],
    dim: 64,
  });
  const byTenant = new Map<string, Float32Array>();
  const docs = await table.query().select(["tenant_id", "vector"]).toArray();
  for (const t of new Set(docs.map((d) => String(d.tenant_id)))) {
    const rows = docs.filter((d) => String(d.tenant_id) === t).flatMap((d) => Array.from(d.vector as number[]));
    byTenant.set(groupKey(t), Float32Array.from(rows));
  }
  const docTensors = new Map([...byTenant].map(([k, v]) => [k, tf.tensor2d(v, [v.length / 64, 64])]));
  const batches: Map<string, number[][]>[] = [];
  for (let i = 0; i < embedded.length; i += 256) {
    const groups = new Map<string, number[][]>();
    for (const r of embedded.slice(i, i + 256)) {
      const v = r.value as { tenant_id: string; embedding: number[] };
      const k = groupKey(v.tenant_id);
      groups.set(k, [...(groups.get(k) ?? []), v.embedding]);
    }
    batches.push(groups);
  }
  const loop = await rates(embedded.length, async () => {
    for (const groups of batches) for (const [k, qs] of groups) tier.search(qs, k, 5);
  });
  const tfjs = await rates(embedded.length, async () => {
    for (const groups of batches) {
      for (const [k, qs] of groups) {
        const d = docTensors.get(k);
        if (!d) continue;
        const { values, indices } = tf.tidy(() =>
          tf.topk(tf.matMul(tf.tensor2d(qs.flat(), [qs.length, 64]), d, false, true), 5),
        );
        values.dataSync();
        indices.dataSync();
        tf.dispose([values, indices]);
      }
    }
  });
  log("memory tier kernel (top-5 per tenant group of 256-query micro-batches)", {
    "Float32Array loop (A·Bᵀ, 4 documents per pass)": loop,
    [`TF.js matMul + topk on ${tf.getBackend()}`]: tfjs,
    tierBytes: tier.bytes,
  });
  for (const t of docTensors.values()) t.dispose();
  table.close();
}

// infer: micro-batch = predict batch of 1, 32, 256, 1024 rows.
const inferRates: Record<string, number> = {};
let inferred = enriched;
for (const batch of [1, 32, 256, 1024]) {
  const ctx = benchContext("classify");
  const p = inferProcessor.create(inferProcessor.config.parse({ model: "models/classifier", maxBatch: batch }), env);
  await p.init?.(ctx);
  const input = batch === 1 ? enriched.slice(0, 512) : enriched;
  const r = await stageRate(p, ctx, input, batch);
  inferRates[`batch ${batch}`] = r.recordsPerSecond;
  if (batch === 256) inferred = r.output;
}
log("infer", inferRates);

// decide: the reference topology's rules and thresholds, one record at a time.
{
  const loaded = loadTopologyFile(path.join(ROOT, "topologies/examples/support-triage.yaml"), {
    env: { ...process.env, SLUICE_KB_DB: db, SLUICE_KB_TABLE: "support_kb" },
  });
  const decideSpec = loaded.spec.processors.find((p) => p.type === "decide");
  if (decideSpec?.type !== "decide") throw new Error("support-triage.yaml has no decide node");
  const ctx = benchContext("decide");
  const p = decideProcessor.create(decideSpec.decide, env);
  await p.init?.(ctx);
  log("decide", { "per record": (await stageRate(p, ctx, inferred, 0)).recordsPerSecond });

  const driver = await TopologyTestDriver.create(loaded.spec, { baseDir: loaded.baseDir });
  const values = events.map((r) => ({ value: r.value }));
  await driver.pipeInput("enterprise-events", values.slice(0, 256));
  driver.clear();
  const t0 = performance.now();
  await driver.pipeInput("enterprise-events", values);
  const seconds = (performance.now() - t0) / 1000;
  log("topology in-process (test driver, batch 256, no broker)", {
    recordsPerSecond: Math.round(N / seconds),
    decisions: driver.readValues("agent-decisions").length,
  });
  await driver.close();
}

// The cliff: 416→128→64→4 MLP on wasm and cpu.
log("cliff 416-128-64-4 wasm", await measureCliff("wasm"));
log("cliff 416-128-64-4 cpu", await measureCliff("cpu", [1, 32, 256, 1024]));

await mkdir(path.join(ROOT, "bench/results"), { recursive: true });
await writeFile(path.join(ROOT, "bench/results/ai-stages.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
await rm(db, { recursive: true, force: true });
