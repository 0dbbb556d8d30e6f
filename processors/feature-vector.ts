/**
 * How a record becomes a classifier's input row. The spec ships beside the model (`features.json`) so training
 * and the `infer` processor build exactly the same vector, and the model id covers it.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";

const path = z.string().min(1);
export const featureSpec = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("vector"), path, dim: z.number().int().positive() }),
  z.object({
    kind: z.literal("number"),
    path,
    transform: z.enum(["identity", "log1p"]),
    scale: z.number().positive(),
    /** Used when the field is null or absent. */
    missing: z.number(),
  }),
  z.object({ kind: z.literal("onehot"), path, values: z.array(z.string()).min(1) }),
  /** Share of the elements of a string array equal to each value (e.g. retrieved documents' categories). */
  z.object({ kind: z.literal("share"), path, values: z.array(z.string()).min(1) }),
  /** One statistic of a number array (e.g. retrieval distances); `empty` when the array is empty. */
  z.object({ kind: z.literal("reduce"), path, op: z.enum(["min", "mean", "max"]), empty: z.number() }),
]);
export type FeatureSpec = z.infer<typeof featureSpec>;
export const featureSpecs = z.array(featureSpec).min(1);

/** Reads a dot-separated path (`retrieval.distances`) from a record value. */
export function readPath(value: unknown, dotted: string): unknown {
  let current: unknown = value;
  for (const part of dotted.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function featureWidth(specs: readonly FeatureSpec[]): number {
  return specs.reduce((sum, s) => {
    if (s.kind === "vector") return sum + s.dim;
    if (s.kind === "onehot" || s.kind === "share") return sum + s.values.length;
    return sum + 1;
  }, 0);
}

function numbers(value: unknown, field: string): number[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new PoisonRecordError(`feature field ${field}: expected an array of numbers`);
  }
  return Array.from(value as ArrayLike<number>, Number);
}

/**
 * Writes the features of `value` into `out` starting at `offset`. Throws `PoisonRecordError` naming the field
 * when a vector is missing or has the wrong dimension, or a value is not finite.
 */
export function writeFeatures(value: unknown, specs: readonly FeatureSpec[], out: Float32Array, offset: number): void {
  let o = offset;
  for (const s of specs) {
    const raw = readPath(value, s.path);
    switch (s.kind) {
      case "vector": {
        const v = numbers(raw, s.path);
        if (v.length !== s.dim) {
          throw new PoisonRecordError(
            `feature field ${s.path}: expected a vector of dimension ${s.dim}, got ${v.length}`,
          );
        }
        for (const x of v) out[o++] = x;
        break;
      }
      case "number": {
        const x = raw === null || raw === undefined ? s.missing : Number(raw);
        if (!Number.isFinite(x))
          throw new PoisonRecordError(`feature field ${s.path}: not a finite number (${String(raw)})`);
        out[o++] = (s.transform === "log1p" ? Math.sign(x) * Math.log1p(Math.abs(x)) : x) / s.scale;
        break;
      }
      case "onehot": {
        for (const v of s.values) out[o++] = raw === v ? 1 : 0;
        break;
      }
      case "share": {
        const items = Array.isArray(raw) ? raw : [];
        for (const v of s.values) out[o++] = items.length ? items.filter((i) => i === v).length / items.length : 0;
        break;
      }
      case "reduce": {
        const v = numbers(raw, s.path);
        if (v.some((x) => !Number.isFinite(x))) throw new PoisonRecordError(`feature field ${s.path}: contains NaN`);
        if (!v.length) out[o++] = s.empty;
        else if (s.op === "min") out[o++] = Math.min(...v);
        else if (s.op === "max") out[o++] = Math.max(...v);
        else out[o++] = v.reduce((a, b) => a + b, 0) / v.length;
        break;
      }
    }
  }
}
