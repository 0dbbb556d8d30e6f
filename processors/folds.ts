/**
 * The folds `aggregate` and `reduce` offer over a CEL expression's value: sum, min, max, avg, count, first,
 * last. Each has an associative merge, so session windows can be combined when a record bridges two sessions.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import type { StreamRecord } from "./api.ts";
import { type CompiledExpression, recordVariables } from "./cel.ts";

export const foldOp = z.enum(["sum", "min", "max", "avg", "count", "first", "last"]);
export type FoldOp = z.infer<typeof foldOp>;

/** An accumulator: the running value, and for `avg` the count. */
export interface FoldState {
  v: unknown;
  n: number;
}

function numeric(value: unknown, source: string): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "bigint") return Number(value);
  throw new PoisonRecordError(`${JSON.stringify(source)} gave ${JSON.stringify(value)}, not a number`);
}

/** Folds one record into `state` with `op`; `of` is the compiled expression (absent for `count`). */
export function foldAdd(op: FoldOp, state: FoldState, record: StreamRecord, of?: CompiledExpression): FoldState {
  if (op === "count") return { v: (state.v as number) + 1, n: state.n + 1 };
  const value = of!.evaluate(recordVariables(record));
  if (op === "first") return state.n === 0 ? { v: value, n: 1 } : state;
  if (op === "last") return { v: value, n: state.n + 1 };
  const x = numeric(value, of!.source);
  if (state.n === 0) return { v: x, n: 1 };
  const v = state.v as number;
  if (op === "sum" || op === "avg") return { v: v + x, n: state.n + 1 };
  return { v: op === "min" ? Math.min(v, x) : Math.max(v, x), n: state.n + 1 };
}

export function foldInit(op: FoldOp): FoldState {
  return { v: op === "count" || op === "sum" ? 0 : null, n: 0 };
}

export function foldMerge(op: FoldOp, a: FoldState, b: FoldState): FoldState {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  if (op === "first") return a;
  if (op === "last") return b;
  const x = a.v as number;
  const y = b.v as number;
  if (op === "sum" || op === "avg" || op === "count") return { v: x + y, n };
  return { v: op === "min" ? Math.min(x, y) : Math.max(x, y), n };
}

export function foldResult(op: FoldOp, state: FoldState): unknown {
  if (op === "avg") return state.n === 0 ? null : (state.v as number) / state.n;
  return state.v;
}
