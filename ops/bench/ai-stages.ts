/**
 * Records/s of each AI stage alone (embed, enrich batched vs per-record, infer at batch 1/32/256/1024, decide)
 * and of the reference topology in-process (test driver, no broker), on the backend that loads here, plus the
 * TF.js batch-size cliff analysis. Prints JSON and writes bench/results/ai-stages.json.
 * Run: npx tsx ops/bench/ai-stages.ts [events=4096]   (SLUICE_TFJS_BACKEND=cpu to force a backend)
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { generateLabelledEvents } from "../../models/synthetic.ts";
import { decideProcessor } from "../../processors/decide.ts";
import { embedProcessor } from "../../processors/embed-tfjs.ts";
import { enrichProcessor } from "../../processors/enrich-lancedb.ts";
import { inferProcessor } from "../../processors/infer-tfjs.ts";
import { buildKnowledgeBase } from "../../processors/knowledge-base.ts";
import { selectBackend } from "../../processors/tfjs-backend.ts";
import { TopologyTestDriver } from "../../topologies/test-driver.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { asRecords, benchContext, stageRate } from "./bench-context.ts";
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
  method: "best of 3 runs per figure; stages fed the previous stage's real output",
};
const log = (key: string, value: unknown) => {
  result[key] = value;
  console.error(key, JSON.stringify(value));
};

// embed: micro-batches of 256 records, predict() chunks of maxBatch rows.
const embedRates: Record<string, number> = {};
let embedded = events;
for (const maxBatch of [32, 256, 1024]) {
  const ctx = benchContext("embed");
  const p = embedProcessor.create(embedProcessor.config.parse({ model: "models/encoder", maxBatch }), env);
  await p.init?.(ctx);
  const r = await stageRate(p, ctx, events, Math.max(256, maxBatch));
  embedRates[`maxBatch ${maxBatch}`] = r.recordsPerSecond;
  embedded = r.output;
}
log("embed", embedRates);

// enrich: one multi-vector query per tenant group of a 256-record micro-batch vs one query per record.
const enrichRates: Record<string, number> = {};
let enriched = embedded;
for (const batchQuery of [true, false]) {
  const ctx = benchContext("enrich");
  const config = {
    db,
    table: "support_kb",
    filterField: "tenant_id",
    fields: ["category"],
    batchQuery,
    cache: { maxEntries: 0 },
  };
  const p = enrichProcessor.create(enrichProcessor.config.parse(config), env);
  await p.init?.(ctx);
  const r = await stageRate(p, ctx, embedded.slice(0, 1024), 256, 2);
  enrichRates[batchQuery ? "batched (multi-vector query per tenant group)" : "per record"] = r.recordsPerSecond;
  if (batchQuery) enriched = (await stageRate(p, ctx, embedded, 256, 1)).output;
}
{
  const ctx = benchContext("enrich");
  const p = enrichProcessor.create(
    enrichProcessor.config.parse({ db, table: "support_kb", filterField: "tenant_id", fields: ["category"] }),
    env,
  );
  await p.init?.(ctx);
  await stageRate(p, ctx, embedded.slice(0, 1024), 256, 1);
  enrichRates["batched, all answers cached"] = (
    await stageRate(p, ctx, embedded.slice(0, 1024), 256, 2)
  ).recordsPerSecond;
}
log("enrich", enrichRates);

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
