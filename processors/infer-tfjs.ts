/**
 * `infer`: runs a TF.js LayersModel (loaded from disk without tfjs-node) over micro-batches of records, in
 * record order, and writes the scores, model id and backend on each. Tensors live inside `tf.tidy` only.
 */
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { BatchError, ConfigError, PoisonRecordError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { defineProcessor } from "./define.ts";
import { type FeatureSpec, featureSpecs, featureWidth, readPath, writeFeatures } from "./feature-vector.ts";
import { MicroBatcher } from "./micro-batcher.ts";
import { loadLayersModel } from "./model-files.ts";
import { objectValue, withStage } from "./stage-timing.ts";
import { BACKENDS, type BackendChoice, selectBackend } from "./tfjs-backend.ts";

export const inferConfig = z
  .object({
    /** Model folder (`model.json`, `weights.bin`, optional `features.json`, `labels.json`), relative to the topology file. */
    model: z.string().min(1),
    /** Numeric array field used as the input row instead of the model's `features.json`. @default the feature spec */
    inputField: z.string().min(1).optional(),
    /** Field the result (`label`, `scores`, `model_id`, `backend`) is written to. @default "inference" */
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

interface LoadedClassifier {
  model: tf.LayersModel;
  modelId: string;
  width: number;
  labels: string[];
  features: FeatureSpec[] | undefined;
}

const cache = new Map<string, Promise<LoadedClassifier>>();

async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  const { model, files } = await loadLayersModel(dir);
  const width = model.inputs[0]?.shape[1];
  const outputs = (model.outputs[0]?.shape ?? [])[1];
  if (typeof width !== "number" || typeof outputs !== "number") {
    throw new ConfigError(`model ${dir}: expected a [batch, n] → [batch, k] model`);
  }
  const labels = z.array(z.string()).safeParse(files.sidecars["labels.json"]);
  const features =
    files.sidecars["features.json"] === undefined ? undefined : featureSpecs.safeParse(files.sidecars["features.json"]);
  if (features && (!features.success || featureWidth(features.data) !== width)) {
    throw new ConfigError(`model ${dir}: features.json is invalid or does not give ${width} inputs`);
  }
  return {
    model,
    modelId: files.modelId,
    width,
    labels:
      labels.success && labels.data.length === outputs
        ? labels.data
        : Array.from({ length: outputs }, (_, i) => `class_${i}`),
    features: features?.data,
  };
}

export const inferProcessor = defineProcessor({
  type: "infer",
  summary: "scores records with a TF.js model (micro-batched, order kept)",
  config: inferConfig,
  create: (config, env) => {
    const modelDir = path.resolve(env.baseDir, config.model);
    let ctx: ProcessorContext;
    let m: LoadedClassifier;
    let backend: BackendChoice;

    const inputRow = (value: Record<string, unknown>, out: Float32Array, offset: number) => {
      if (config.inputField === undefined) return writeFeatures(value, m.features ?? [], out, offset);
      const raw = readPath(value, config.inputField);
      const row = Array.isArray(raw) || ArrayBuffer.isView(raw) ? Array.from(raw as ArrayLike<number>, Number) : [];
      if (row.length !== m.width) {
        throw new PoisonRecordError(
          `${ctx.processorName}: input field ${config.inputField} has ${row.length} numbers, model takes ${m.width}`,
        );
      }
      if (row.some((x) => !Number.isFinite(x))) {
        throw new PoisonRecordError(
          `${ctx.processorName}: input field ${config.inputField} holds a NaN or infinite number`,
        );
      }
      out.set(row, offset);
    };

    /** Scores one micro-batch; forwards the good records in order and returns the failed indices. */
    const runBatch = async (records: readonly StreamRecord[]): Promise<Map<number, Error>> => {
      const started = ctx.now();
      const t0 = performance.now();
      const failures = new Map<number, Error>();
      const matrix = new Float32Array(records.length * m.width);
      const values: (Record<string, unknown> | undefined)[] = records.map((record, i) => {
        try {
          const value = objectValue(record.value, ctx.processorName);
          inputRow(value, matrix, i * m.width);
          return value;
        } catch (error) {
          failures.set(i, error as Error);
          return undefined;
        }
      });
      const k = m.labels.length;
      const scores = new Float32Array(records.length * k);
      for (let start = 0; start < records.length; start += config.maxBatch) {
        const rows = Math.min(config.maxBatch, records.length - start);
        const chunk = tf.tidy(() => {
          const x = tf.tensor2d(matrix.subarray(start * m.width, (start + rows) * m.width), [rows, m.width]);
          // batchSize = rows: predict()'s default of 32 slices the input, and on wasm every slice copies the
          // whole input out of the heap (quadratic; ops/bench/tfjs-batch-cliff.ts).
          return (m.model.predict(x, { batchSize: rows }) as tf.Tensor).dataSync();
        });
        scores.set(chunk, start * k);
      }
      const timing = {
        name: ctx.processorName,
        started_at: started,
        duration_ms: performance.now() - t0,
        batch_size: records.length,
      };
      values.forEach((value, i) => {
        if (value === undefined) return;
        const row = Array.from(scores.subarray(i * k, (i + 1) * k));
        if (row.some((s) => !Number.isFinite(s))) {
          failures.set(i, new PoisonRecordError(`${ctx.processorName}: model ${m.modelId} gave a NaN score`));
          return;
        }
        const best = row.indexOf(Math.max(...row));
        const inference = {
          label: m.labels[best],
          scores: Object.fromEntries(m.labels.map((l, j) => [l, row[j]])),
          model_id: m.modelId,
          backend: backend.name,
        };
        ctx.forward(
          (records[i] as StreamRecord).withValue(withStage(value, { [config.outputField]: inference }, timing)),
        );
      });
      ctx.metrics.count("inferred", records.length - failures.size);
      ctx.metrics.observe("batch_ms", timing.duration_ms);
      return failures;
    };

    const batcher = new MicroBatcher<StreamRecord>(config, (items) => runBatch(items));

    return {
      async init(context) {
        ctx = context;
        backend = await selectBackend({ force: config.backend, logger: ctx.logger });
        let loading = cache.get(modelDir);
        if (!loading) {
          loading = loadClassifier(modelDir);
          loading.catch(() => cache.delete(modelDir));
          cache.set(modelDir, loading);
        }
        m = await loading;
        if (config.inputField === undefined && m.features === undefined) {
          throw new ConfigError(`${ctx.processorName}: model ${modelDir} has no features.json; set inputField`);
        }
        ctx.logger.info({ model: modelDir, modelId: m.modelId, backend: backend.name }, "infer ready");
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
