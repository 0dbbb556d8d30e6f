/**
 * `dedupe`: forwards the first record of each key within a window of event time and drops the repeats (counted
 * as `duplicates`). The key is the record key or a CEL expression (an event id, say). Entries expire after the
 * window by the task's clock, so the store stays bounded.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import type { KeyValueStore, Processor, ProcessorContext } from "./api.ts";
import { compileExpression, recordVariables } from "./cel.ts";
import { defineProcessor } from "./define.ts";
import { storeKey } from "./stores.ts";

export const dedupeConfig = z.strictObject({
  /** Repeats of a key less than this many milliseconds (event time) after its first record are dropped. */
  withinMs: z.number().int().positive(),
  /** CEL expression whose result (as text) identifies a record. @default the record key */
  by: z.string().min(1).optional(),
  /** Name of the operator's state store. @default the node name */
  store: z.string().min(1).optional(),
});
export type DedupeConfig = z.infer<typeof dedupeConfig>;

interface Seen {
  ts: number;
  topic: string;
  partition: number;
  offset: number;
}

export const dedupeProcessor = defineProcessor({
  type: "dedupe",
  summary: "drops repeats of a key within a window of event time",
  config: dedupeConfig,
  stores: (config, node) => [{ name: config.store ?? node, kind: "keyValue" }],
  create: (config): Processor => {
    const by = config.by === undefined ? undefined : compileExpression(config.by, "by");
    let ctx: ProcessorContext;
    let seen: KeyValueStore<Seen>;
    return {
      init(context) {
        ctx = context;
        seen = context.keyValueStore<Seen>(config.store ?? context.processorName);
      },
      process(record) {
        let id: string;
        if (by === undefined) id = storeKey(record.key);
        else {
          const result = by.evaluate(recordVariables(record));
          if (result === null || typeof result === "object") {
            throw new PoisonRecordError(`dedupe key ${JSON.stringify(config.by)} gave ${JSON.stringify(result)}`);
          }
          id = String(result);
        }
        const first = seen.get(id);
        const { topic, partition, offset } = record.source;
        if (first !== undefined && first.topic === topic && first.partition === partition && first.offset === offset) {
          ctx.metrics.count("redelivered_skipped");
          return;
        }
        if (first !== undefined && Math.abs(record.timestamp - first.ts) < config.withinMs) {
          ctx.metrics.count("duplicates");
          return;
        }
        seen.put(id, { ts: record.timestamp, topic, partition, offset }, { ttlMs: config.withinMs });
        ctx.forward(record);
      },
    };
  },
});
