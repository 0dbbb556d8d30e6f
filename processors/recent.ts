/**
 * `recent`: short-term memory. Keeps the last N events of each key (the record key or a CEL expression) in a
 * state store declared like the DSL operators' (named after the node, or `<agent>.<step>` inside an agent) and
 * writes the earlier ones onto each record, newest first, so CEL rules and later steps see them as
 * `value.<as>` (e.g. `size(value.recent) >= 2 && value.recent[0].event.event_type == "payment_dispute"`).
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { compileExpression, recordVariables } from "./cel.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { storeKey } from "./stores.ts";

export const recentConfig = z.strictObject({
  /** Events kept per key (the current one included once it has passed). */
  size: z.number().int().positive().max(1000),
  /** CEL expression whose result (as text) is the key, e.g. `value.customer_id`. @default the record key */
  by: z.string().min(1).optional(),
  /** Value fields (dotted paths) kept of each event. @default the whole value */
  fields: z.array(z.string().min(1)).optional(),
  /** Field the earlier events are written to: `[{timestamp, offset, event}]`, newest first. @default "recent" */
  as: z.string().min(1).default("recent"),
  /** A key is forgotten this long after its last event (by the task's clock). @default never */
  ttlMs: z.number().int().positive().optional(),
  /** Name of the state store. @default the node name (`<agent>.<step>` in an agent's chain) */
  store: z.string().min(1).optional(),
});
export type RecentConfig = z.infer<typeof recentConfig>;

/** One remembered event. */
export interface RecentEvent {
  timestamp: number;
  topic: string;
  partition: number;
  offset: number;
  event: unknown;
}

function keep(value: unknown, fields: readonly string[] | undefined): unknown {
  if (fields === undefined || value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const field of fields) out[field] = readPath(value as Record<string, unknown>, field) ?? null;
  return out;
}

export const recentProcessor = defineProcessor({
  type: "recent",
  summary: "short-term memory: the last N events per key from a state store, on each record",
  config: recentConfig,
  stores: (config, node) => [{ name: config.store ?? node, kind: "keyValue" }],
  create: (config): Processor => {
    const by = config.by === undefined ? undefined : compileExpression(config.by, "by");
    let ctx: ProcessorContext;
    let store: KeyValueStore<RecentEvent[]>;
    const keyOf = (record: StreamRecord): string => {
      if (by === undefined) return storeKey(record.key);
      const result = by.evaluate(recordVariables(record));
      if (result === null || typeof result === "object")
        throw new PoisonRecordError(
          `${ctx.processorName}: key ${JSON.stringify(config.by)} gave ${JSON.stringify(result)}`,
        );
      return String(result);
    };
    return {
      init(context) {
        ctx = context;
        store = context.keyValueStore<RecentEvent[]>(config.store ?? context.processorName);
      },
      process(record) {
        const value = record.value;
        if (value === null || typeof value !== "object" || Array.isArray(value))
          throw new PoisonRecordError(`${ctx.processorName}: record value is not an object`);
        const key = keyOf(record);
        const { topic, partition, offset } = record.source;
        const same = (e: RecentEvent) => e.topic === topic && e.partition === partition && e.offset === offset;
        // A redelivered record is not remembered twice, nor shown to itself.
        const earlier = (store.get(key) ?? []).filter((e) => !same(e));
        const entry: RecentEvent = {
          timestamp: record.timestamp,
          topic,
          partition,
          offset,
          event: keep(value, config.fields),
        };
        store.put(key, [entry, ...earlier].slice(0, config.size), config.ttlMs ? { ttlMs: config.ttlMs } : {});
        ctx.metrics.count("remembered");
        ctx.forward(record.withValue({ ...value, [config.as]: earlier.slice(0, config.size) }));
      },
    };
  },
});
