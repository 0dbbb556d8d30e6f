/**
 * `aggregate`: several named folds per key, per event-time window or overall, like SQL's
 * `SELECT key, sum(x), max(y) ... GROUP BY key, window`. Emits `{key, windowStart, windowEnd, <field>...}`.
 */
import { z } from "zod";
import { compileExpression } from "./cel.ts";
import { defineProcessor } from "./define.ts";
import { type FoldState, foldAdd, foldInit, foldMerge, foldOp, foldResult } from "./folds.ts";
import { windowedOptions, windowedProcessor, windowedStores } from "./windowed-aggregation.ts";

export const aggregateConfig = z.strictObject({
  ...windowedOptions,
  /** Output field → fold: `{op: sum|min|max|avg|count|first|last, of: <CEL expression>}` (`of` unused by count). */
  fields: z
    .record(z.string().min(1), z.strictObject({ op: foldOp, of: z.string().min(1).optional() }))
    .refine((f) => Object.keys(f).length > 0, "at least one field"),
});
export type AggregateConfig = z.infer<typeof aggregateConfig>;

export const aggregateProcessor = defineProcessor({
  type: "aggregate",
  summary: "folds records per key (sum, min, max, avg, count, first, last), optionally per window",
  config: aggregateConfig,
  stores: windowedStores,
  create: (config) => {
    const fields = Object.entries(config.fields).map(([name, { op, of }]) => ({
      name,
      op,
      of: op === "count" ? undefined : compileExpression(of ?? "value", `fields.${name}.of`),
    }));
    type State = Record<string, FoldState>;
    return windowedProcessor<State>(config, {
      init: () => Object.fromEntries(fields.map((f) => [f.name, foldInit(f.op)])),
      add: (s, record) => Object.fromEntries(fields.map((f) => [f.name, foldAdd(f.op, s[f.name]!, record, f.of)])),
      merge: (a, b) => Object.fromEntries(fields.map((f) => [f.name, foldMerge(f.op, a[f.name]!, b[f.name]!)])),
      result: (s) => Object.fromEntries(fields.map((f) => [f.name, foldResult(f.op, s[f.name]!)])),
    });
  },
});
