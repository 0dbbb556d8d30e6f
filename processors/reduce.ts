/**
 * `reduce`: combines one CEL expression's values per key with a reducer (sum, min, max, first, last), per
 * event-time window or overall (Kafka Streams' `reduce`). Emits `{key, windowStart, windowEnd, value}`. A
 * reducer of your own is a `custom` processor over `ctx.keyValueStore()`.
 */
import { z } from "zod";
import { compileExpression } from "./cel.ts";
import { defineProcessor } from "./define.ts";
import { type FoldState, foldAdd, foldInit, foldMerge, foldResult } from "./folds.ts";
import { windowedOptions, windowedProcessor, windowedStores } from "./windowed-aggregation.ts";

export const reduceConfig = z.strictObject({
  ...windowedOptions,
  /** CEL expression giving the value to reduce. @default "value" */
  of: z.string().min(1).default("value"),
  /** The reducer. */
  reducer: z.enum(["sum", "min", "max", "first", "last"]),
});
export type ReduceConfig = z.infer<typeof reduceConfig>;

export const reduceProcessor = defineProcessor({
  type: "reduce",
  summary: "reduces a value per key with sum/min/max/first/last, optionally per window",
  config: reduceConfig,
  stores: windowedStores,
  create: (config) => {
    const of = compileExpression(config.of, "of");
    const op = config.reducer;
    return windowedProcessor<FoldState>(config, {
      init: () => foldInit(op),
      add: (s, record) => foldAdd(op, s, record, of),
      merge: (a, b) => foldMerge(op, a, b),
      result: (s) => ({ value: foldResult(op, s) }),
    });
  },
});
