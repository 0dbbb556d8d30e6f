/**
 * Finds the batch-size cliff of small TF.js MLPs (tensorflow/tfjs#8212: a fixed cost per predict() dominates
 * small batches, yet the wasm backend slowed 10× past batch 64 in an earlier probe). Measures rows/s of a
 * 416→128→64→4 MLP per backend and batch size, whole batches vs the same rows split into chunks, and where the
 * time goes (upload, first layer's matMul, softmax, download). Used by ops/bench/ai-stages.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, selectBackend } from "../../processors/tfjs-backend.ts";

/** Best-of-`reps` rows/s of `fn`, which handles `rows` rows per call; each rep runs for about `ms` ms. */
export function rowsPerSecond(fn: () => void, rows: number, reps = 3, ms = 400): number {
  fn();
  fn();
  let best = 0;
  for (let r = 0; r < reps; r++) {
    let calls = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      fn();
      calls++;
    }
    best = Math.max(best, (calls * rows) / ((performance.now() - t0) / 1000));
  }
  return Math.round(best);
}

function mlp(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ units: 128, inputShape: [416], activation: "relu" }),
      tf.layers.dense({ units: 64, activation: "relu" }),
      tf.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
}

/**
 * Predicts `rows` rows in chunks of `chunk` rows, the way infer's `maxBatch` splits a micro-batch. `batchSize`
 * is predict()'s own option: undefined = its default of 32, which slices the input tensor internally.
 */
function predictChunked(
  model: tf.LayersModel,
  data: Float32Array,
  rows: number,
  width: number,
  chunk: number,
  batchSize?: number,
): void {
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const x = () => tf.tensor2d(data.subarray(start * width, (start + n) * width), [n, width]);
    tf.tidy(() => (model.predict(x(), batchSize === undefined ? {} : { batchSize: n }) as tf.Tensor).dataSync());
  }
}

export interface CliffResult {
  backend: BackendName;
  /** rows/s of `predict(x)` with its default batchSize (32): the input is sliced inside predict. */
  predictDefault: Record<number, number>;
  /** rows/s of `predict(x, {batchSize: rows})`: one pass, no slicing. What infer and embed do. */
  predictWhole: Record<number, number>;
  /** rows/s of only slicing a [rows, 416] tensor into 32-row pieces, as predict's default loop does. */
  sliceInto32: Record<number, number>;
  /** rows/s for 4096 rows split into JS-side chunks (infer's maxBatch) predicted whole. */
  chunked: Record<string, number>;
}

export async function measureCliff(
  backend: BackendName,
  batches = [1, 32, 64, 128, 256, 1024, 4096],
): Promise<CliffResult> {
  await selectBackend({ force: backend });
  const model = mlp();
  const data = Float32Array.from({ length: 4096 * 416 }, (_, i) => Math.sin(i));
  const r: CliffResult = { backend, predictDefault: {}, predictWhole: {}, sliceInto32: {}, chunked: {} };
  for (const b of batches) {
    const rows = data.subarray(0, b * 416);
    r.predictDefault[b] = rowsPerSecond(() => predictChunked(model, rows, b, 416, b), b);
    r.predictWhole[b] = rowsPerSecond(() => predictChunked(model, rows, b, 416, b, b), b);
    const x = tf.tensor2d(rows, [b, 416]);
    r.sliceInto32[b] = rowsPerSecond(() => {
      for (let i = 0; i < b; i += 32) tf.slice(x, [i, 0], [Math.min(32, b - i), 416]).dispose();
    }, b);
    x.dispose();
  }
  for (const chunk of [64, 256, 1024]) {
    r.chunked[`4096 in chunks of ${chunk}`] = rowsPerSecond(
      () => predictChunked(model, data, 4096, 416, chunk, chunk),
      4096,
    );
  }
  model.dispose();
  return r;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const backend of (process.argv[2] ?? "wasm,cpu").split(",") as BackendName[]) {
    console.log(JSON.stringify(await measureCliff(backend)));
  }
}
