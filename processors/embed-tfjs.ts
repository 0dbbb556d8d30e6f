/**
 * `embed`: a text field → a unit vector with the TF.js encoder, micro-batched. Records whose text is missing or
 * empty are dead-lettered (BatchError names them) while their neighbours go through.
 */
import path from "node:path";
import { z } from "zod";
import { BatchError, PoisonRecordError } from "../core/errors.ts";
import type { ProcessorContext, StreamRecord } from "./api.ts";
import { defineProcessor, processOneByBatch } from "./define.ts";
import { objectValue, withStage } from "./stage-timing.ts";
import { loadTextEncoder, type TextEncoder } from "./text-encoder.ts";
import { BACKENDS } from "./tfjs-backend.ts";

export const embedConfig = z
  .object({
    /** Folder of the encoder (`model.json`, `weights.bin`, `tokenizer.json`, `encoder.json`), relative to the topology file. */
    model: z.string().min(1),
    /** Field holding the text. @default "text" */
    textField: z.string().min(1).default("text"),
    /** Field the vector is written to; the encoder's model id goes to `<outputField>_model_id`. @default "embedding" */
    outputField: z.string().min(1).default("embedding"),
    /** Rows per `predict` call; larger micro-batches are split (see ops/bench/ai-stages.ts). @default 256 */
    maxBatch: z.number().int().positive().default(256),
    /**
     * Forward pass: `sparse` runs the encoder's Dense layers in JS on the hashed features' non-zero buckets
     * (processors/encoder-kernel.ts, ~2× `predict()` here: bench/README.md); `tfjs` calls `predict()` on the
     * backend. A model that is not plain Dense layers always uses `tfjs`. @default "sparse"
     */
    kernel: z.enum(["sparse", "tfjs"]).default("sparse"),
    /** Force a TF.js backend instead of the fallback chain. @default "auto" */
    backend: z.enum(["auto", ...BACKENDS]).default("auto"),
  })
  .strict();
export type EmbedConfig = z.infer<typeof embedConfig>;

export const embedProcessor = defineProcessor({
  type: "embed",
  summary: "embeds a text field into a unit vector with a TF.js encoder (micro-batched)",
  config: embedConfig,
  create: (config, env) => {
    const modelDir = path.resolve(env.baseDir, config.model);
    let ctx: ProcessorContext;
    let encoder: TextEncoder;

    const processBatch = async (records: readonly StreamRecord[]) => {
      const started = ctx.now();
      const t0 = performance.now();
      const failures = new BatchError(`${ctx.processorName}: some records have no text`);
      const ok: { index: number; value: Record<string, unknown>; text: string }[] = [];
      records.forEach((record, index) => {
        try {
          const value = objectValue(record.value, ctx.processorName);
          const text = value[config.textField];
          if (typeof text !== "string" || text.trim() === "") {
            const what =
              text === undefined || text === null ? "missing" : typeof text !== "string" ? `not a string` : "empty";
            throw new PoisonRecordError(`${ctx.processorName}: text field ${config.textField} is ${what}`);
          }
          ok.push({ index, value, text });
        } catch (error) {
          failures.failed(index, error as Error);
        }
      });
      const vectors = encoder.encode(
        ok.map((o) => o.text),
        config.maxBatch,
        config.kernel,
      );
      const timing = {
        name: ctx.processorName,
        started_at: started,
        duration_ms: performance.now() - t0,
        batch_size: records.length,
      };
      ok.forEach((o, i) => {
        const record = records[o.index] as StreamRecord;
        const fields = {
          [config.outputField]: Array.from(vectors[i] ?? []),
          [`${config.outputField}_model_id`]: encoder.modelId,
        };
        ctx.forward(record.withValue(withStage(o.value, fields, timing)));
      });
      ctx.metrics.count("embedded", ok.length);
      ctx.metrics.observe("batch_ms", timing.duration_ms);
      if (failures.failures.size > 0) throw failures;
    };

    return {
      async init(context) {
        ctx = context;
        encoder = await loadTextEncoder(modelDir, config.backend);
        const kernel = config.kernel === "sparse" ? encoder.kernel : "tfjs";
        ctx.logger.info(
          { model: modelDir, modelId: encoder.modelId, backend: encoder.backend.name, kernel },
          "embed ready",
        );
      },
      processBatch,
      process: processOneByBatch(processBatch),
    };
  },
});
