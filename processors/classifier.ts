/**
 * A loaded TF.js classifier as `infer` uses it: the model, its id, labels and feature spec, one process-wide
 * load per folder, and the two steps of scoring a micro-batch (input rows into one matrix, then `predict` in
 * chunks). Tensors live inside `tf.tidy` only.
 */
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { ConfigError, PoisonRecordError } from "../core/errors.ts";
import { type FeatureSpec, featureSpecs, featureWidth, readPath, writeFeatures } from "./feature-vector.ts";
import { loadLayersModel } from "./model-files.ts";

export interface LoadedClassifier {
  model: tf.LayersModel;
  dir: string;
  modelId: string;
  width: number;
  labels: string[];
  features: FeatureSpec[] | undefined;
}

const cache = new Map<string, Promise<LoadedClassifier>>();

async function load(dir: string): Promise<LoadedClassifier> {
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
    dir,
    modelId: files.modelId,
    width,
    labels:
      labels.success && labels.data.length === outputs
        ? labels.data
        : Array.from({ length: outputs }, (_, i) => `class_${i}`),
    features: features?.data,
  };
}

/** Loads the classifier in `dir` once per process; a failed load is retried by the next caller. */
export function loadClassifier(dir: string): Promise<LoadedClassifier> {
  let loading = cache.get(dir);
  if (!loading) {
    loading = load(dir);
    loading.catch(() => cache.delete(dir));
    cache.set(dir, loading);
  }
  return loading;
}

/**
 * Writes the input row of `value` for model `m` at `offset` of `out`: from the model's feature spec, or from
 * the numeric array `inputField`. Throws `PoisonRecordError` for a wrong length or a non-finite number.
 */
export function writeInputRow(
  m: LoadedClassifier,
  value: Record<string, unknown>,
  inputField: string | undefined,
  out: Float32Array,
  offset: number,
  who: string,
): void {
  if (inputField === undefined) {
    writeFeatures(value, m.features ?? [], out, offset);
    return;
  }
  const raw = readPath(value, inputField);
  const row = Array.isArray(raw) || ArrayBuffer.isView(raw) ? Array.from(raw as ArrayLike<number>, Number) : [];
  if (row.length !== m.width) {
    throw new PoisonRecordError(`${who}: input field ${inputField} has ${row.length} numbers, model takes ${m.width}`);
  }
  if (row.some((x) => !Number.isFinite(x))) {
    throw new PoisonRecordError(`${who}: input field ${inputField} holds a NaN or infinite number`);
  }
  out.set(row, offset);
}

/** Scores `rows` input rows of `matrix` in chunks of `maxBatch`; returns rows × labels scores. */
export function predictRows(m: LoadedClassifier, matrix: Float32Array, rows: number, maxBatch: number): Float32Array {
  const k = m.labels.length;
  const scores = new Float32Array(rows * k);
  for (let start = 0; start < rows; start += maxBatch) {
    const n = Math.min(maxBatch, rows - start);
    const chunk = tf.tidy(() => {
      const x = tf.tensor2d(matrix.subarray(start * m.width, (start + n) * m.width), [n, m.width]);
      // batchSize = rows: predict()'s default of 32 slices the input, and on wasm every slice copies the
      // whole input out of the heap (quadratic; ops/bench/tfjs-batch-cliff.ts).
      return (m.model.predict(x, { batchSize: n }) as tf.Tensor).dataSync();
    });
    scores.set(chunk, start * k);
  }
  return scores;
}

/** One record's result from one model: top label and the score per label (undefined for a NaN score). */
export function resultRow(
  m: LoadedClassifier,
  scores: Float32Array,
  i: number,
): { label: string; scores: Record<string, number> } | undefined {
  const k = m.labels.length;
  const row = Array.from(scores.subarray(i * k, (i + 1) * k));
  if (row.some((s) => !Number.isFinite(s))) return undefined;
  const best = row.indexOf(Math.max(...row));
  return { label: m.labels[best] as string, scores: Object.fromEntries(m.labels.map((l, j) => [l, row[j] as number])) };
}
