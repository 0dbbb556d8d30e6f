/**
 * `infer`: runs TF.js LayersModels (loaded from disk without tfjs-node) over micro-batches of records, in
 * record order, and writes the scores, model id and backend on each. With `candidates`, a shadow model scores
 * every record beside the primary (recorded under `shadow`, never acted on) and a canary acts for a sticky
 * share of keys (`variant` names who acted); the model set and the split live in `model-set.ts`.
 */
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { type LoadedClassifier, predictRows, resultRow, writeInputRow } from "./classifier.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { MicroBatcher } from "./micro-batcher.ts";
import { type BatchPlan, candidatesConfig, ModelSet } from "./model-set.ts";
import { objectValue, withStage } from "./stage-timing.ts";
import { BACKENDS, type BackendChoice, selectBackend } from "./tfjs-backend.ts";

export const inferConfig = z
  .object({
    /** The primary model's folder (`model.json`, `weights.bin`, optional `features.json`, `labels.json`), relative to the topology file. */
    model: z.string().min(1),
    /** Candidate versions: `mode: shadow` (scored, recorded, never acted on) or `mode: canary` with a `weight`. @default [] */
    candidates: candidatesConfig,
    /** Value field whose text the canary split hashes instead of the record key (`customer_id`). @default the record key */
    splitField: z.string().min(1).optional(),
    /** Numeric array field used as the input row instead of the model's `features.json`. @default the feature spec */
    inputField: z.string().min(1).optional(),
    /** Field the result (`label`, `scores`, `model_id`, `backend`, `variant`, `shadow`) is written to. @default "inference" */
    outputField: z.string().min(1).default("inference"),
    /** Rows per `predict` call; micro-batches are split into chunks this size (ops/bench/ai-stages.ts). @default 256 */
    maxBatch: z.number().int().positive().default(256),
    /** When records arrive one at a time (`process`), longest a batch waits to fill, ms. @default 5 */
    maxWaitMs: z.number().int().nonnegative().default(5),
    /** Force a TF.js backend instead of the fallback chain. @default "auto" */
    backend: z.enum(["auto", ...BACKENDS]).default("auto"),
  })
  .strict();
export type InferConfig = z.infer<typeof inferConfig>;

export const inferProcessor = defineProcessor({
  type: "infer",
  summary: "scores records with a TF.js model (micro-batched, order kept; shadow and canary candidates)",
  config: inferConfig,
  create: (config, env) => {
    let ctx: ProcessorContext;
    let set: ModelSet;
    let backend: BackendChoice;

    /** What the canary split hashes: the record key, or the text of `splitField`. */
    const splitKey = (record: StreamRecord, value: Record<string, unknown> | undefined) => {
      if (config.splitField === undefined) return record.key;
      const field = value === undefined ? undefined : readPath(value, config.splitField);
      return typeof field === "string" || typeof field === "number" ? String(field) : null;
    };

    /** Scores every record with `m`; per record its result, or the error that kept it from one. */
    const scoreAll = (m: LoadedClassifier, values: (Record<string, unknown> | undefined)[]) => {
      const matrix = new Float32Array(values.length * m.width);
      const errors = new Map<number, Error>();
      values.forEach((value, i) => {
        if (value === undefined) return;
        try {
          writeInputRow(m, value, config.inputField, matrix, i * m.width, ctx.processorName);
        } catch (error) {
          errors.set(i, error as Error);
        }
      });
      const scores = predictRows(m, matrix, values.length, config.maxBatch);
      return values.map((_, i) => {
        const error = errors.get(i);
        if (error) return error;
        return (
          resultRow(m, scores, i) ?? new PoisonRecordError(`${ctx.processorName}: model ${m.modelId} gave a NaN score`)
        );
      });
    };

    /** Scores one micro-batch under one plan; forwards the good records in order and returns the failed indices. */
    const runBatch = async (records: readonly StreamRecord[]): Promise<Map<number, Error>> => {
      const started = ctx.now();
      const t0 = performance.now();
      const plan: BatchPlan = set.planFor(ctx.applicationId, ctx.processorName);
      const failures = new Map<number, Error>();
      const values = records.map((record, i) => {
        try {
          return objectValue(record.value, ctx.processorName);
        } catch (error) {
          failures.set(i, error as Error);
          return undefined;
        }
      });
      const acting = records.map((r, i) => plan.actingFor(splitKey(r, values[i])));
      const primary = scoreAll(set.primary, values);
      const canaryResults = new Map(
        plan.canaries.map((c) => {
          const candidate = set.candidates.find((x) => x.id === c.id)!;
          return [
            c.id,
            scoreAll(
              candidate.model,
              values.map((v, i) => (acting[i] === candidate ? v : undefined)),
            ),
          ];
        }),
      );
      const shadowResults = plan.shadows.map((c) => ({ candidate: c, results: scoreAll(c.model, values) }));
      const timing = {
        name: ctx.processorName,
        started_at: started,
        duration_ms: performance.now() - t0,
        batch_size: records.length,
      };
      let shadowFailures = 0;
      values.forEach((value, i) => {
        if (value === undefined) return;
        const actor = acting[i];
        const result = actor ? canaryResults.get(actor.id)?.[i] : primary[i];
        if (result === undefined || result instanceof Error) {
          failures.set(i, result ?? new PoisonRecordError(`${ctx.processorName}: no score`));
          return;
        }
        const shadow = [];
        for (const { candidate, results } of shadowResults) {
          const r = results[i];
          if (r === undefined || r instanceof Error) {
            shadowFailures++;
            continue;
          }
          shadow.push({ candidate_id: candidate.id, model_id: candidate.model.modelId, ...r });
        }
        const inference = {
          ...result,
          model_id: (actor ? actor.model : set.primary).modelId,
          backend: backend.name,
          variant: actor ? actor.id : "primary",
          shadow,
        };
        ctx.forward(
          (records[i] as StreamRecord).withValue(withStage(value, { [config.outputField]: inference }, timing)),
        );
      });
      ctx.metrics.count("inferred", records.length - failures.size);
      if (shadowFailures > 0) ctx.metrics.count("shadow_failures", shadowFailures);
      ctx.metrics.observe("batch_ms", timing.duration_ms);
      return failures;
    };

    const batcher = new MicroBatcher<StreamRecord>(config, (items) => runBatch(items));

    return {
      async init(context) {
        ctx = context;
        backend = await selectBackend({ force: config.backend, logger: ctx.logger });
        set = await ModelSet.load(env.baseDir, config.model, config.candidates);
        if (config.inputField === undefined) {
          const missing = set.models.find((m) => m.features === undefined);
          if (missing)
            throw new ConfigError(`${ctx.processorName}: model ${missing.dir} has no features.json; set inputField`);
        }
        ctx.logger.info(
          {
            model: set.primary.dir,
            modelId: set.primary.modelId,
            candidates: set.candidates.map((c) => ({ id: c.id, mode: c.configured.mode, modelId: c.model.modelId })),
            backend: backend.name,
          },
          "infer ready",
        );
      },
      async processBatch(records) {
        await batcher.flush();
        const failures = await runBatch(records);
        if (failures.size === 0) return;
        const error = new BatchError(`${ctx.processorName}: ${failures.size} of ${records.length} records failed`);
        for (const [i, e] of failures) error.failed(i, e);
        throw error;
      },
      process(record) {
        return batcher.add(record);
      },
      async close() {
        await batcher.flush();
      },
    };
  },
});
