/**
 * `enrich`: top-k nearest knowledge-base documents from an embedded LanceDB table for each record's vector,
 * optionally filtered by a record field (tenant), one multi-vector query per filter group of a micro-batch,
 * an LRU cache with TTL, and the table version pinned at task start and written on every record.
 */
import path from "node:path";
import type * as lancedb from "@lancedb/lancedb";
import { LRUCache } from "lru-cache";
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError, TransientError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { checkEncoderMatchesTable } from "./kb-encoder-check.ts";
import { QUERY_DEFAULTS } from "./kb-index-params.ts";
import { type QueryOptions, type Retrieved, searchBatched, searchEach } from "./kb-query.ts";
import { describeKbTable, openKbTable, sqlLiteral } from "./kb-table.ts";
import { objectValue, withStage } from "./stage-timing.ts";

export const enrichConfig = z
  .object({
    /** LanceDB database folder (or URI), relative to the topology file. */
    db: z.string().min(1),
    /** Knowledge-base table name. */
    table: z.string().min(1),
    /** Field holding the query vector (written by `embed`, or carried by the event). @default "embedding" */
    vectorField: z.string().min(1).default("embedding"),
    /** Documents per record. @default 5 */
    topK: z.number().int().positive().max(100).default(5),
    /** Record field whose value must equal `filterColumn` of the documents (e.g. `tenant_id`). @default no filter */
    filterField: z.string().min(1).optional(),
    /** Table column compared with `filterField`. @default the value of filterField */
    filterColumn: z.string().min(1).optional(),
    /** Document id column. @default "doc_id" */
    idColumn: z.string().min(1).default("doc_id"),
    /** Document columns copied to the output (`fields.<column>`: one value per retrieved document). @default [] */
    fields: z.array(z.string().min(1)).default([]),
    /** Field the result is written to. @default "retrieval" */
    outputField: z.string().min(1).default("retrieval"),
    /** One multi-vector query per filter group of a micro-batch (true) or one query per record. @default true */
    batchQuery: z.boolean().default(true),
    /** Encoder folder: its dimension and model id must match the table's, checked at start. @default not checked */
    encoder: z.string().min(1).optional(),
    refresh: z
      .strictObject({
        /** `pinned`: the version at task start; `interval`: re-read every `intervalMs`; `latest`: every batch. @default "pinned" */
        policy: z.enum(["pinned", "interval", "latest"]).default("pinned"),
        /** @default 60000 */
        intervalMs: z.number().int().positive().default(60_000),
      })
      .prefault({}),
    cache: z
      .strictObject({
        /** Cached query results (0 disables the cache). @default 10000 */
        maxEntries: z.number().int().nonnegative().default(10_000),
        /** @default 300000 */
        ttlMs: z.number().int().positive().default(300_000),
      })
      .prefault({}),
    /** IVF partitions probed when the table has an IVF index (processors/kb-index-params.ts). @default 20 */
    nprobes: z.number().int().positive().default(QUERY_DEFAULTS.nprobes),
    /** Exact re-ranking of topK × refineFactor candidates when the table has an index. @default 5 */
    refineFactor: z.number().int().positive().default(QUERY_DEFAULTS.refineFactor),
  })
  .strict();
export type EnrichConfig = z.infer<typeof enrichConfig>;

interface Pending {
  index: number;
  value: Record<string, unknown>;
  vector: number[];
  group: string | undefined;
  cacheKey: string;
}

export const enrichProcessor = defineProcessor({
  type: "enrich",
  summary: "adds the top-k nearest knowledge-base documents from LanceDB (tenant filter, cache, pinned version)",
  config: enrichConfig,
  create: (config, env) => {
    const uri = config.db.includes("://") ? config.db : path.resolve(env.baseDir, config.db);
    const filterColumn = config.filterColumn ?? config.filterField;
    const cache =
      config.cache.maxEntries > 0
        ? new LRUCache<string, Retrieved>({ max: config.cache.maxEntries, ttl: config.cache.ttlMs })
        : undefined;
    let ctx: ProcessorContext;
    let table: lancedb.Table;
    let dim = 0;
    let version = 0;
    let refreshedAt = 0;

    const refresh = async () => {
      const due =
        config.refresh.policy === "latest" ||
        (config.refresh.policy === "interval" && ctx.now() - refreshedAt >= config.refresh.intervalMs);
      if (!due) return;
      await table.checkoutLatest();
      version = await table.version();
      await table.checkout(version);
      refreshedAt = ctx.now();
    };

    const queryOptions = (group: string | undefined): QueryOptions => ({
      topK: config.topK,
      columns: config.fields,
      idColumn: config.idColumn,
      ...(group !== undefined && filterColumn ? { where: `${filterColumn} = ${group}` } : {}),
      nprobes: config.nprobes,
      refineFactor: config.refineFactor,
    });

    const prepare = (record: StreamRecord, index: number): Pending => {
      const value = objectValue(record.value, ctx.processorName);
      const raw = readPath(value, config.vectorField);
      if (!Array.isArray(raw) && !ArrayBuffer.isView(raw)) {
        throw new PoisonRecordError(`${ctx.processorName}: vector field ${config.vectorField} is missing`);
      }
      const vector = Array.from(raw as ArrayLike<number>, Number);
      if (vector.length !== dim || vector.some((x) => !Number.isFinite(x))) {
        throw new PoisonRecordError(
          `${ctx.processorName}: vector field ${config.vectorField} has dimension ${vector.length}${vector.length === dim ? " with non-finite values" : ""}, table ${config.table} has ${dim}`,
        );
      }
      let group: string | undefined;
      if (config.filterField) {
        const f = readPath(value, config.filterField);
        if (f === undefined || f === null || f === "") {
          throw new PoisonRecordError(`${ctx.processorName}: filter field ${config.filterField} is missing`);
        }
        group = sqlLiteral(f);
      }
      const cacheKey = `${version}\0${group ?? ""}\0${Buffer.from(new Float32Array(vector).buffer).toString("base64")}`;
      return { index, value, vector, group, cacheKey };
    };

    const processBatch = async (records: readonly StreamRecord[]) => {
      const started = ctx.now();
      const t0 = performance.now();
      await refresh();
      const failures = new BatchError(`${ctx.processorName}: some records could not be enriched`);
      const pending: Pending[] = [];
      records.forEach((record, i) => {
        try {
          pending.push(prepare(record, i));
        } catch (error) {
          failures.failed(i, error as Error);
        }
      });
      const results = new Map<number, Retrieved>();
      const misses = new Map<string | undefined, Pending[]>();
      for (const p of pending) {
        const hit = cache?.get(p.cacheKey);
        if (hit) results.set(p.index, hit);
        else misses.set(p.group, [...(misses.get(p.group) ?? []), p]);
      }
      ctx.metrics.count("cache_hits", results.size);
      try {
        for (const [group, list] of misses) {
          const search = config.batchQuery ? searchBatched : searchEach;
          const found = await search(
            table,
            list.map((p) => p.vector),
            queryOptions(group),
          );
          list.forEach((p, i) => {
            const r = found[i] as Retrieved;
            results.set(p.index, r);
            cache?.set(p.cacheKey, r);
          });
        }
      } catch (error) {
        throw new TransientError(
          `${ctx.processorName}: querying table ${config.table}: ${(error as Error).message.split("\n")[0]}`,
          { cause: error },
        );
      }
      const timing = {
        name: ctx.processorName,
        started_at: started,
        duration_ms: performance.now() - t0,
        batch_size: records.length,
      };
      for (const p of pending) {
        const r = results.get(p.index) as Retrieved;
        const retrieval = { table: config.table, version, ids: r.ids, distances: r.distances, fields: r.fields };
        ctx.forward(
          (records[p.index] as StreamRecord).withValue(withStage(p.value, { [config.outputField]: retrieval }, timing)),
        );
      }
      ctx.metrics.observe("batch_ms", timing.duration_ms);
      if (failures.failures.size > 0) throw failures;
    };

    return {
      async init(context) {
        ctx = context;
        ({ table } = await openKbTable(uri, config.table));
        const info = await describeKbTable(table, config.table);
        dim = info.dim;
        if (config.encoder)
          await checkEncoderMatchesTable(path.resolve(env.baseDir, config.encoder), config.table, info);
        for (const column of [config.idColumn, ...config.fields, ...(filterColumn ? [filterColumn] : [])]) {
          if (!info.columns.includes(column))
            throw new ConfigError(`knowledge-base table ${config.table} has no column ${column}`);
        }
        version = await table.version();
        await table.checkout(version);
        refreshedAt = ctx.now();
        ctx.logger.info({ table: config.table, version, dim, encoder: info.encoderModelId }, "enrich ready");
      },
      processBatch,
      async process(record) {
        try {
          await processBatch([record]);
        } catch (error) {
          throw error instanceof BatchError ? (error.failures.get(0) ?? error) : error;
        }
      },
      close() {
        table?.close();
      },
    };
  },
});
