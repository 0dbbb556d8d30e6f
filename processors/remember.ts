/**
 * `remember`: long-term memory. Writes each record's decision or summary (a CEL expression) to a LanceDB memory
 * table (memory-table.ts), attributed to its entity, the agent and version that made it, its lineage key and
 * time, embedded with the sluice text encoder; one upsert per micro-batch. Forwards the record with
 * `memory: {table, version, memory_id}`. `enrich` retrieves these rows by entity with `recall`.
 */
import path from "node:path";
import { z } from "zod";
import { BatchError, PoisonRecordError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { compileExpression, recordVariables } from "./cel.ts";
import { defineProcessor, processOneByBatch } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { type MemoryRow, MemoryTable } from "./memory-table.ts";
import { AGENT_ID_HEADER, AGENT_VERSION_HEADER } from "./route-handoff.ts";
import { objectValue } from "./stage-timing.ts";
import { loadTextEncoder, type TextEncoder } from "./text-encoder.ts";
import { BACKENDS } from "./tfjs-backend.ts";

export const rememberConfig = z.strictObject({
  /** LanceDB database folder (or URI), relative to the topology file. */
  db: z.string().min(1),
  /** Memory table; created by the first write. @default "agent_memory" */
  table: z.string().min(1).default("agent_memory"),
  /** Encoder folder the summaries are embedded with (the one `embed` uses, so `recall` can compare). */
  encoder: z.string().min(1),
  /** Value field (dotted path) naming the entity the memory is about, e.g. `tenant_id` or `customer_id`. */
  entityField: z.string().min(1),
  /** CEL expression giving the text to remember. @default `value.decision + ": " + value.reason` */
  summary: z.string().min(1).default('value.decision + ": " + value.reason'),
  /** @default "agent_id" (set by `route`) */
  agentField: z.string().min(1).default("agent_id"),
  /** @default "agent_version" */
  versionField: z.string().min(1).default("agent_version"),
  /** @default "decision" */
  decisionField: z.string().min(1).default("decision"),
  /** Field the memory's `{table, version, memory_id}` is written to. @default "memory" */
  outputField: z.string().min(1).default("memory"),
  /** Force a TF.js backend instead of the fallback chain. @default "auto" */
  backend: z.enum(["auto", ...BACKENDS]).default("auto"),
});
export type RememberConfig = z.infer<typeof rememberConfig>;

const header = (record: StreamRecord, name: string) => {
  const h = record.headers[name];
  return Buffer.isBuffer(h) ? h.toString("utf8") : h;
};
const text = (v: unknown) => (v === undefined || v === null ? "" : String(v));

export const rememberProcessor = defineProcessor({
  type: "remember",
  summary: "long-term memory: writes each decision or summary to a LanceDB memory table, by entity and agent",
  config: rememberConfig,
  create: (config, env) => {
    const uri = config.db.includes("://") ? config.db : path.resolve(env.baseDir, config.db);
    const summary = compileExpression(config.summary, "summary");
    let ctx: ProcessorContext;
    let encoder: TextEncoder;
    let memory: MemoryTable;

    const rowOf = (record: StreamRecord): MemoryRow => {
      const value = objectValue(record.value, ctx.processorName);
      const entity = readPath(value, config.entityField);
      if (entity === undefined || entity === null || entity === "")
        throw new PoisonRecordError(`${ctx.processorName}: entity field ${config.entityField} is missing`);
      const said = summary.evaluate(recordVariables(record));
      if (typeof said !== "string" || said.trim() === "")
        throw new PoisonRecordError(`${ctx.processorName}: summary ${JSON.stringify(config.summary)} gave no text`);
      // Inside an agent's chain the agent is known from the headers `route` sets; after it, from the value.
      const agent = text(readPath(value, config.agentField) ?? header(record, AGENT_ID_HEADER));
      const { topic, partition, offset } = record.source;
      return {
        memory_id: `${topic}/${partition}@${offset}#${ctx.runId}#${agent}`,
        entity: String(entity),
        agent_id: agent,
        agent_version: text(readPath(value, config.versionField) ?? header(record, AGENT_VERSION_HEADER)),
        decision: text(readPath(value, config.decisionField)),
        summary: said,
        source_topic: topic,
        source_partition: partition,
        source_offset: offset,
        run_id: ctx.runId,
        created_at: ctx.now(),
        vector: [],
      };
    };

    const processBatch = async (records: readonly StreamRecord[]) => {
      const failures = new BatchError(`${ctx.processorName}: some records could not be remembered`);
      const rows: Array<{ index: number; row: MemoryRow }> = [];
      records.forEach((record, index) => {
        try {
          rows.push({ index, row: rowOf(record) });
        } catch (error) {
          failures.failed(index, error as Error);
        }
      });
      if (rows.length > 0) {
        const vectors = encoder.encode(rows.map((r) => r.row.summary));
        rows.forEach((r, i) => {
          r.row.vector = Array.from(vectors[i] ?? []);
        });
        const version = await memory.write(
          rows.map((r) => r.row),
          encoder.modelId,
        );
        ctx.metrics.count("remembered", rows.length);
        for (const { index, row } of rows) {
          const record = records[index] as StreamRecord;
          const stamp = { table: config.table, version, memory_id: row.memory_id };
          ctx.forward(record.withValue({ ...(record.value as object), [config.outputField]: stamp }));
        }
      }
      if (failures.failures.size > 0) throw failures;
    };

    return {
      async init(context) {
        ctx = context;
        encoder = await loadTextEncoder(path.resolve(env.baseDir, config.encoder), config.backend);
        memory = await MemoryTable.connect(uri, config.table);
      },
      processBatch,
      process: processOneByBatch(processBatch),
      close() {
        memory?.close();
      },
    };
  },
});
