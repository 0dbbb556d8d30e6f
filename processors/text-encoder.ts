/**
 * The TF.js text encoder as the `embed` processor and the knowledge-base builder share it: tokenizer sidecar +
 * LayersModel + L2 normalisation, loaded once per folder per process, tensors released after every batch.
 */
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import { SparseDenseKernel } from "./encoder-kernel.ts";
import { hashedTextConfig, hashTextSparse, hashTexts } from "./hashed-text.ts";
import { loadLayersModel } from "./model-files.ts";
import { type BackendChoice, type BackendName, selectBackend } from "./tfjs-backend.ts";

const encoderContract = z.object({
  dim: z.number().int().positive(),
  normalize: z.literal("l2"),
  distance: z.literal("cosine"),
});

export interface TextEncoder {
  readonly modelId: string;
  readonly dim: number;
  readonly backend: BackendChoice;
  /** `sparse` when the model is plain Dense layers (encoder-kernel.ts), else `tfjs`. */
  readonly kernel: EncoderKernel;
  /**
   * Embeds texts into unit vectors: by the sparse kernel, or (`kernel: "tfjs"`, or a model it cannot run)
   * `maxBatch` rows per `predict` call.
   */
  encode(texts: readonly string[], maxBatch?: number, kernel?: EncoderKernel): Float32Array[];
}

/** How the encoder's forward pass runs: sparse first layer in JS, or TF.js `predict()` on the backend. */
export type EncoderKernel = "sparse" | "tfjs";

const loaded = new Map<string, Promise<TextEncoder>>();

async function load(dir: string, backendName: BackendName | "auto" | undefined): Promise<TextEncoder> {
  const backend = await selectBackend(backendName ? { force: backendName } : {});
  const { model, files } = await loadLayersModel(dir);
  const tokenizer = hashedTextConfig.safeParse(files.sidecars["tokenizer.json"]);
  const contract = encoderContract.safeParse(files.sidecars["encoder.json"]);
  if (!tokenizer.success || !contract.success) {
    throw new ConfigError(`encoder ${dir}: tokenizer.json or encoder.json sidecar missing or invalid`);
  }
  const inputWidth = model.inputs[0]?.shape[1];
  const outputWidth = (model.outputs[0]?.shape ?? [])[1];
  if (inputWidth !== tokenizer.data.buckets || outputWidth !== contract.data.dim) {
    throw new ConfigError(
      `encoder ${dir}: model maps ${inputWidth} → ${outputWidth}, sidecars say ${tokenizer.data.buckets} → ${contract.data.dim}`,
    );
  }
  const { buckets } = tokenizer.data;
  const dim = contract.data.dim;
  const sparse = SparseDenseKernel.fromModel(model);
  const scratch = new Float32Array(buckets);
  return {
    modelId: files.modelId,
    dim,
    backend,
    kernel: sparse ? "sparse" : "tfjs",
    encode(texts, maxBatch = 256, kernel = "sparse") {
      if (sparse && kernel === "sparse")
        return texts.map((t) => sparse.encode(hashTextSparse(t, tokenizer.data, scratch)));
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += maxBatch) {
        const chunk = texts.slice(start, start + maxBatch);
        const values = tf.tidy(() => {
          const x = tf.tensor2d(hashTexts(chunk, tokenizer.data), [chunk.length, buckets]);
          // batchSize = rows: predict()'s default of 32 slices the input, and on wasm every slice copies the
          // whole input out of the heap (quadratic; ops/bench/tfjs-batch-cliff.ts).
          const e = model.predict(x, { batchSize: chunk.length }) as tf.Tensor2D;
          return e.div(e.norm("euclidean", 1, true).add(1e-12)).dataSync() as Float32Array;
        });
        for (let r = 0; r < chunk.length; r++) out.push(values.slice(r * dim, (r + 1) * dim));
      }
      return out;
    },
  };
}

/**
 * The encoder in `dir` (resolved to an absolute path), loaded once per process. Throws `ConfigError` naming the
 * folder or file when it is missing or does not load.
 */
export function loadTextEncoder(dir: string, backend?: BackendName | "auto"): Promise<TextEncoder> {
  const key = path.resolve(dir);
  let encoder = loaded.get(key);
  if (!encoder) {
    encoder = load(key, backend);
    encoder.catch(() => loaded.delete(key));
    loaded.set(key, encoder);
  }
  return encoder;
}
