/**
 * Standalone ceiling of each reference-topology stage, built from support-triage.yaml's own configs and fed the
 * previous stage's real output: decode (AvroSerde), embed, enrich, infer, decide, and a ClickHouse JSONEachRow
 * insert (plain @clickhouse/client into a table made and dropped here; ops/bench/clickhouse-insert.ts measures the sink).
 */
import { createClient } from "@clickhouse/client";
import { decideProcessor } from "../../processors/decide.ts";
import { embedProcessor } from "../../processors/embed-tfjs.ts";
import { enrichProcessor } from "../../processors/enrich-lancedb.ts";
import { inferProcessor } from "../../processors/infer-tfjs.ts";
import { currentBackend } from "../../processors/tfjs-backend.ts";
import { AvroSerde } from "../../schemas/avro-serde.ts";
import { endpoints } from "../../stack/config.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import { asRecords, benchContext, stageRate } from "./bench-context.ts";
import { writeResult } from "./lib/results.ts";
import { EVENT_SCHEMA_FILE, eventPayloads, KB_TABLE, TRIAGE_FILE } from "./lib/triage.ts";

export interface StageCeilings {
  backend: string;
  records: number;
  recordsPerSecond: Record<string, number>;
  notes: Record<string, string>;
}

/** ClickHouse rows/s: `rows` decisions (cycled) in INSERTs of 10 000 (the sink's default maxRows). */
async function clickhouseCeiling(values: readonly unknown[], rows: number): Promise<number> {
  const client = createClient({ url: endpoints().clickhouseUrl });
  const table = `bench_decisions_${Date.now().toString(36)}`;
  await client.command({
    query: `CREATE TABLE ${table} (source_topic String, source_partition UInt32, source_offset UInt64,
      run_id String, decision_id String, event_id String, tenant_id String, decision String, confidence Float32,
      reason String, model_id String, retrieved_ids Array(String), retrieved_distances Array(Float32))
      ENGINE = ReplacingMergeTree ORDER BY (source_topic, source_partition, source_offset, run_id)`,
  });
  try {
    const all = Array.from({ length: rows }, (_, i) => ({
      ...(values[i % values.length] as object),
      source_offset: i,
    }));
    const t0 = performance.now();
    for (let i = 0; i < all.length; i += 10_000) {
      await client.insert({
        table,
        values: all.slice(i, i + 10_000),
        format: "JSONEachRow",
        clickhouse_settings: { input_format_skip_unknown_fields: 1 },
      });
    }
    return Math.round(rows / ((performance.now() - t0) / 1000));
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await client.close();
  }
}

/** Ceilings of every stage, or of the stages named in `only` (a re-measurement next to the topology run). */
export async function stageCeilings(
  db: string,
  schemaId: number,
  n: number,
  only?: readonly string[],
): Promise<StageCeilings> {
  const wanted = (stage: string) => !only || only.includes(stage);
  const loaded = loadTopologyFile(TRIAGE_FILE, {
    env: { ...process.env, SLUICE_KB_DB: db, SLUICE_KB_TABLE: KB_TABLE },
  });
  const env = { baseDir: loaded.baseDir };
  const spec = (type: string) => {
    const found = loaded.spec.processors.find((p) => p.type === type);
    if (!found) throw new Error(`support-triage.yaml has no ${type} node`);
    return found as unknown as Record<string, unknown>;
  };
  const rates: Record<string, number> = {};
  // decode: the runtime's AvroSerde, wire format → EnterpriseEvent, best of 3.
  const payloads = eventPayloads(schemaId, n); // the very events of the topology run's backlog
  const serde = new AvroSerde({ registryUrl: endpoints().schemaRegistryUrl, schema: JSON.parse(await readText()) });
  const values: unknown[] = [];
  for (let rep = 0; rep < 3; rep++) {
    values.length = 0;
    const t0 = performance.now();
    for (const p of payloads) values.push((await serde.deserialize("bench", p.value)).value);
    rates.decode = Math.max(rates.decode ?? 0, Math.round(n / ((performance.now() - t0) / 1000)));
  }
  const batch = loaded.spec.processing.batch.maxRecords;

  const embed = embedProcessor.create(spec("embed").embed as never, env);
  const embedCtx = benchContext("embed");
  await embed.init?.(embedCtx);
  const embedded = await stageRate(embed, embedCtx, asRecords(values), batch, 2);
  if (wanted("embed")) rates.embed = embedded.recordsPerSecond;

  // enrich: one pass with a fresh processor, so its answer cache helps only as much as it does in the topology.
  const enrich = enrichProcessor.create(spec("enrich").enrich as never, env);
  const enrichCtx = benchContext("enrich");
  await enrich.init?.(enrichCtx);
  const enriched = await stageRate(enrich, enrichCtx, embedded.output, batch, 1);
  if (wanted("enrich")) rates.enrich = enriched.recordsPerSecond;
  if (!["infer", "decide", "clickhouse-insert"].some(wanted)) return result(rates, n, batch, only);

  const infer = inferProcessor.create(spec("infer").infer as never, env);
  const inferCtx = benchContext("classify");
  await infer.init?.(inferCtx);
  const inferred = await stageRate(infer, inferCtx, enriched.output, batch, 2);
  if (wanted("infer")) rates.infer = inferred.recordsPerSecond;

  const decide = decideProcessor.create(spec("decide").decide as never, env);
  const decideCtx = benchContext("decide");
  await decide.init?.(decideCtx);
  const decided = await stageRate(decide, decideCtx, inferred.output, 0, 2);
  if (wanted("decide")) rates.decide = decided.recordsPerSecond;
  if (wanted("clickhouse-insert")) {
    rates["clickhouse-insert"] = await clickhouseCeiling(
      decided.output.map((r) => r.value),
      Math.max(50_000, n),
    );
  }
  return result(rates, n, batch, only);
}

function result(rates: Record<string, number>, n: number, batch: number, only?: readonly string[]): StageCeilings {
  if (only) for (const stage of Object.keys(rates)) if (!only.includes(stage)) delete rates[stage];
  const ceilings: StageCeilings = {
    backend: currentBackend()?.name ?? "none",
    records: n,
    recordsPerSecond: rates,
    notes: {
      method: `each stage alone in this process with support-triage.yaml's config, micro-batches of ${batch}, fed the previous stage's output; best of 2-3 passes except enrich (one pass: its cache)`,
      "clickhouse-insert": "plain @clickhouse/client JSONEachRow, INSERTs of 10 000 rows, awaited one after another",
    },
  };
  if (!only) writeResult("stage-ceilings", { ...ceilings }, { inferenceBackend: ceilings.backend });
  return ceilings;
}

async function readText(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(EVENT_SCHEMA_FILE, "utf8");
}
