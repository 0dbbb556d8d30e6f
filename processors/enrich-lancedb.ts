/**
 * `enrich`: top-k nearest knowledge-base documents of a LanceDB table for each record's vector, optionally filtered
 * by a record field (tenant). The pinned table version is answered from memory when it fits the memory budget
 * (exact, one matrix product per filter group of a micro-batch: kb-memory-tier.ts), else by LanceDB (one
 * multi-vector query per filter group, an LRU cache with TTL). The version and the tier are written on every record.
 */
import path from "node:path";
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError } from "../core/errors.ts";
import { metrics } from "../core/metrics.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { defineProcessor, processOneByBatch } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { asOfSettings } from "./kb-as-of.ts";
import { AsOfRetrieval } from "./kb-as-of-retrieval.ts";
import { checkEncoderMatchesTable } from "./kb-encoder-check.ts";
import { QUERY_DEFAULTS } from "./kb-index-params.ts";
import { LanceDbTier } from "./kb-lancedb-tier.ts";
import { groupKey } from "./kb-memory-tier.ts";
import type { QueryOptions, Retrieved } from "./kb-query.ts";
import { describeKbTable, openKbTable } from "./kb-table.ts";
import { type ActiveTier, KbTiers } from "./kb-tiers.ts";
import { MemoryRecall, recallConfig } from "./memory-recall.ts";
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
    memory: z
      .strictObject({
        /**
         * Which tier answers: `auto` loads the pinned version into memory (exact search) when it fits `maxBytes`
         * and queries LanceDB otherwise (with its ANN index when the table has one); `lancedb` always queries
         * LanceDB. The active tier is logged, exported as `sluice_kb_tier_bytes` and recorded as `kb_tier`.
         * @default "auto"
         */
        tier: z.enum(["auto", "lancedb"]).default("auto"),
        /** Memory budget of the in-memory tier, in bytes (vectors, norms, ids and copied fields). @default 268435456 (256 MiB) */
        maxBytes: z
          .number()
          .int()
          .nonnegative()
          .default(256 * 1024 * 1024),
      })
      .prefault({}),
    /** IVF partitions probed when the table has an IVF index (processors/kb-index-params.ts). @default 20 */
    nprobes: z.number().int().positive().default(QUERY_DEFAULTS.nprobes),
    /** Exact re-ranking of topK × refineFactor candidates when the table has an index. @default 5 */
    refineFactor: z.number().int().positive().default(QUERY_DEFAULTS.refineFactor),
    /** Also retrieve the entity's agent memories (written by `remember`), nearest to the same vector. @default off */
    recall: recallConfig.optional(),
  })
  .strict();
export type EnrichConfig = z.infer<typeof enrichConfig>;

/** The version and tier a record's retrieval came from (and, after an as-of fallback, what it wanted). */
interface Used {
  version: number;
  tier: string;
  wanted?: string;
}

interface Pending {
  index: number;
  value: Record<string, unknown>;
  vector: ArrayLike<number>;
  /** SQL literal of the filter value (`''` without a filter): the LanceDB `where` and the memory tier's group. */
  group: string;
}

export const enrichProcessor = defineProcessor({
  type: "enrich",
  summary: "adds the top-k nearest knowledge-base documents from LanceDB (tenant filter, cache, pinned version)",
  config: enrichConfig,
  create: (config, env) => {
    const uri = config.db.includes("://") ? config.db : path.resolve(env.baseDir, config.db);
    const filterColumn = config.filterColumn ?? config.filterField;
    let ctx: ProcessorContext;
    let lancedbTier: LanceDbTier;
    let tiers: KbTiers;
    let dim = 0;
    let refreshedAt = 0;
    let recall: MemoryRecall | undefined;
    /** As-of retrieval (a replay, or `run --as-of`): the version timeline and the per-version tiers. */
    let asOf: AsOfRetrieval | undefined;

    const refresh = async () => {
      const due =
        config.refresh.policy === "latest" ||
        (config.refresh.policy === "interval" && ctx.now() - refreshedAt >= config.refresh.intervalMs);
      if (!due) return;
      refreshedAt = ctx.now();
      await tiers.refresh();
    };

    const queryOptions = (group: string): QueryOptions => ({
      topK: config.topK,
      columns: config.fields,
      idColumn: config.idColumn,
      ...(group !== "" && filterColumn ? { where: `${filterColumn} = ${group}` } : {}),
      nprobes: config.nprobes,
      refineFactor: config.refineFactor,
    });

    const prepare = (record: StreamRecord, index: number): Pending => {
      const value = objectValue(record.value, ctx.processorName);
      const raw = readPath(value, config.vectorField);
      if (!Array.isArray(raw) && !ArrayBuffer.isView(raw)) {
        throw new PoisonRecordError(`${ctx.processorName}: vector field ${config.vectorField} is missing`);
      }
      const vector = raw as ArrayLike<number>;
      let finite = true;
      for (let d = 0; d < vector.length; d++) if (!Number.isFinite(vector[d])) finite = false;
      if (vector.length !== dim || !finite) {
        throw new PoisonRecordError(
          `${ctx.processorName}: vector field ${config.vectorField} has dimension ${vector.length}${vector.length === dim ? " with non-finite values" : ""}, table ${config.table} has ${dim}`,
        );
      }
      let group = "";
      if (config.filterField) {
        const f = readPath(value, config.filterField);
        if (f === undefined || f === null || f === "") {
          throw new PoisonRecordError(`${ctx.processorName}: filter field ${config.filterField} is missing`);
        }
        group = groupKey(f);
      }
      return { index, value, vector, group };
    };

    /** Memory tier: one exact top-k pass per filter group of the micro-batch. */
    const searchMemory = (
      pending: readonly Pending[],
      active: Pick<ActiveTier, "memory">,
      results: Map<number, Retrieved>,
    ) => {
      const groups = new Map<string, Pending[]>();
      for (const p of pending) {
        const list = groups.get(p.group);
        if (list) list.push(p);
        else groups.set(p.group, [p]);
      }
      for (const [group, list] of groups) {
        const found = active.memory?.search(
          list.map((p) => p.vector),
          group,
          config.topK,
        );
        list.forEach((p, i) => {
          results.set(p.index, found?.[i] as Retrieved);
        });
      }
    };

    /** As-of: each record's version (by its timestamp); one search per version group of the micro-batch. */
    const searchAsOf = async (
      records: readonly StreamRecord[],
      pending: readonly Pending[],
      results: Map<number, Retrieved>,
      used: Map<number, Used>,
      onFail: (index: number, error: Error) => void,
    ) => {
      const retrieval = asOf as AsOfRetrieval;
      const byIndex = new Map(pending.map((p) => [p.index, p]));
      const items = pending.map((p) => ({ index: p.index, time: (records[p.index] as StreamRecord).timestamp }));
      const { groups, choices } = await retrieval.plan(items, onFail);
      for (const [version, indices] of groups) {
        const t = await retrieval.tier(version);
        const list = indices.map((i) => byIndex.get(i) as Pending);
        if (t.tier === "memory") searchMemory(list, t, results);
        else ctx.metrics.count("cache_hits", await lancedbTier.search(t.table, version, list, results));
        for (const i of indices) {
          const wanted = choices.get(i)?.wanted;
          used.set(i, { version, tier: t.tier, ...(wanted ? { wanted } : {}) });
        }
      }
    };

    const processBatch = async (records: readonly StreamRecord[]) => {
      const started = ctx.now();
      const t0 = performance.now();
      if (!asOf) await refresh();
      const active = asOf ? undefined : tiers.current; // one tier and version for the whole micro-batch
      const failures = new BatchError(`${ctx.processorName}: some records could not be enriched`);
      const pending: Pending[] = [];
      records.forEach((record, i) => {
        try {
          pending.push(prepare(record, i));
        } catch (error) {
          failures.failed(i, error as Error);
        }
      });
      const memories = await recall?.search(pending, (i, error) => failures.failed(i, error));
      const results = new Map<number, Retrieved>();
      const used = new Map<number, Used>();
      if (!active) await searchAsOf(records, pending, results, used, (i, e) => failures.failed(i, e));
      else if (active.tier === "memory") searchMemory(pending, active, results);
      else
        ctx.metrics.count("cache_hits", await lancedbTier.search(tiers.queryTable, active.version, pending, results));
      const timing = {
        name: ctx.processorName,
        started_at: started,
        duration_ms: performance.now() - t0,
        batch_size: records.length,
      };
      for (const p of pending) {
        if (failures.failures.has(p.index)) continue;
        const r = results.get(p.index) as Retrieved;
        const choice: Used = active ?? (used.get(p.index) as Used);
        const { version, tier, wanted } = choice;
        const retrieval = {
          table: config.table,
          version,
          tier,
          ...(wanted ? { version_wanted: wanted } : {}),
          ids: r.ids,
          distances: r.distances,
          fields: r.fields,
        };
        ctx.forward(
          (records[p.index] as StreamRecord).withValue(
            withStage(
              p.value,
              {
                [config.outputField]: retrieval,
                ...(recall ? { [recall.outputField]: memories?.get(p.index) } : {}),
              },
              timing,
            ),
          ),
        );
      }
      ctx.metrics.observe("batch_ms", timing.duration_ms);
      if (failures.failures.size > 0) throw failures;
    };

    const tierLabels = (t: ActiveTier) => ({
      topology: ctx.applicationId,
      processor: ctx.processorName,
      table: config.table,
      version: String(t.version),
      tier: t.tier,
    });

    return {
      async init(context) {
        ctx = context;
        lancedbTier = new LanceDbTier({
          cache: config.cache,
          batchQuery: config.batchQuery,
          queryOptions,
          describe: `${ctx.processorName}: querying table ${config.table}`,
        });
        const { db, table } = await openKbTable(uri, config.table);
        const info = await describeKbTable(table, config.table);
        dim = info.dim;
        if (config.encoder)
          await checkEncoderMatchesTable(path.resolve(env.baseDir, config.encoder), config.table, info);
        for (const column of [config.idColumn, ...config.fields, ...(filterColumn ? [filterColumn] : [])]) {
          if (!info.columns.includes(column))
            throw new ConfigError(`knowledge-base table ${config.table} has no column ${column}`);
        }
        tiers = new KbTiers(table, () => db.openTable(config.table), {
          uri,
          tableName: config.table,
          idColumn: config.idColumn,
          filterColumn,
          fields: config.fields,
          dim,
          mode: config.memory.tier,
          maxBytes: config.memory.maxBytes,
          logger: ctx.logger,
          onActive(next, previous, previousFreed) {
            if (previous && previousFreed) metrics.kbTierBytes.remove(tierLabels(previous));
            metrics.kbTierBytes.set(tierLabels(next), next.bytes);
          },
        });
        await tiers.start(await table.version());
        const as = asOfSettings();
        if (as.enabled) {
          asOf = await AsOfRetrieval.open(db, {
            tableName: config.table,
            fallback: as.fallback,
            idColumn: config.idColumn,
            filterColumn,
            fields: config.fields,
            dim,
            mode: config.memory.tier,
            maxBytes: config.memory.maxBytes,
            logger: ctx.logger,
          });
          ctx.logger.info(
            { table: config.table, fallback: as.fallback },
            "enrich: as-of retrieval (version current at each event's timestamp)",
          );
        }
        if (config.recall) recall = await MemoryRecall.open(config.recall, uri, env.baseDir);
        refreshedAt = ctx.now();
        const { version, tier, bytes } = tiers.current;
        ctx.logger.info(
          { table: config.table, version, tier, bytes, dim, encoder: info.encoderModelId },
          "enrich ready",
        );
      },
      processBatch,
      process: processOneByBatch(processBatch),
      async close() {
        recall?.close();
        await asOf?.close();
        const freed = await tiers?.close();
        if (freed) metrics.kbTierBytes.remove(tierLabels(freed));
      },
    };
  },
});
