/**
 * `filter`: keeps the records a CEL predicate holds for and drops the rest. A predicate that fails on a record
 * (a missing field, a non-boolean result) dead-letters that record.
 */
import { z } from "zod";
import type { Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { compileExpression, evaluatePredicate, recordVariables, toAvroType } from "./cel.ts";
import { defineProcessor } from "./define.ts";

export const filterConfig = z.strictObject({
  /** CEL predicate over `value`, `key`, `headers`, `timestamp`, `topic`, `partition`, `offset`. */
  predicate: z.string().min(1),
});
export type FilterConfig = z.infer<typeof filterConfig>;

export const filterProcessor = defineProcessor({
  type: "filter",
  summary: "keeps records matching a CEL predicate",
  config: filterConfig,
  create: (config, env): Processor => {
    const predicate = compileExpression(config.predicate, "predicate", env.inputSchema);
    const valueType = env.inputSchema === undefined ? undefined : toAvroType(env.inputSchema);
    let context: ProcessorContext;
    return {
      init(ctx) {
        context = ctx;
      },
      process(record: StreamRecord) {
        if (evaluatePredicate(predicate, recordVariables(record, valueType))) {
          context.forward(record);
        } else {
          context.metrics.count("filtered_out");
        }
      },
    };
  },
});
