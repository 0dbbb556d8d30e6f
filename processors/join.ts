/**
 * `join`: enriches a stream with a second input, by key.
 * - `table`: stream-table. Records from the table's topic (a compacted topic: customer profiles, say) update a
 *   table in the store (a null value deletes); each stream record is joined with the table's current value.
 * - `window`: stream-stream. Records of both sides are kept for `withinMs`; a record is joined with every record
 *   of the other side with the same key whose event time is within `withinMs` of its own (a decision and its
 *   outcome). Records older than the window plus grace (by stream time) are removed. With `on`, records pair
 *   by a value field both sides carry (a decision id) instead of the record key, within the partition.
 * Both inputs must be co-partitioned (same key, same partition count), as in Kafka Streams; the joined value is
 * the stream (left) value with the other side's value under `as`.
 */
import { z } from "zod";
import { PoisonRecordError } from "../core/errors.ts";
import type { KeyValueStore, Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { defineProcessor } from "./define.ts";
import { readPath } from "./feature-vector.ts";
import { sortableNumber, storeKey } from "./stores.ts";

export const joinConfig = z.strictObject({
  /** Stream-table join: the topic whose records form the table. */
  table: z.strictObject({ topic: z.string().min(1) }).optional(),
  /** Stream-stream join: the other stream's topic and the window. */
  window: z
    .strictObject({
      topic: z.string().min(1),
      /** Largest event-time distance between the two records of a pair, in milliseconds. */
      withinMs: z.number().int().positive(),
      /** Extra time records are kept for out-of-order partners. @default 0 */
      graceMs: z.number().int().nonnegative().default(0),
      /** Value field both sides carry that pairs them (`decision_id`), instead of the key; the key still partitions. @default the record key */
      on: z.string().min(1).optional(),
    })
    .optional(),
  /** `inner` drops stream records without a partner (counted as `join_misses`); `left` forwards them with `as: null` (table joins). @default "inner" */
  kind: z.enum(["inner", "left"]).default("inner"),
  /** Field of the output value holding the other side's value. @default "joined" */
  as: z.string().min(1).default("joined"),
  /** Name of the operator's state store. @default the node name */
  store: z.string().min(1).optional(),
});
export type JoinConfig = z.infer<typeof joinConfig>;

function joined(record: StreamRecord, left: unknown, right: unknown, as: string): StreamRecord {
  const base = typeof left === "object" && left !== null && !Buffer.isBuffer(left) ? left : { value: left };
  return record.withValue({ ...base, [as]: right });
}

interface Buffered {
  v: unknown;
  ts: number;
}

export const joinProcessor = defineProcessor({
  type: "join",
  summary: "stream-table join (table from a compacted topic) or stream-stream join within a window",
  config: joinConfig.refine((c) => (c.table === undefined) !== (c.window === undefined), {
    message: "a join has exactly one of `table` (stream-table) or `window` (stream-stream)",
  }),
  stores: (config, node) => [{ name: config.store ?? node, kind: "keyValue" }],
  create: (config): Processor => {
    let ctx: ProcessorContext;
    let kv: KeyValueStore;
    const table = config.table;
    const window = config.window;
    const tableKey = (key: string) => `t\u0000${key}`;

    const streamStream = (record: StreamRecord, key: string) => {
      const w = window!;
      const side = record.source.topic === w.topic ? "r" : "l";
      const other = side === "r" ? "l" : "r";
      const ts = record.timestamp;
      const streamTime = Math.max((kv.get("m\u0000streamTime") as number | undefined) ?? 0, ts);
      const horizon = streamTime - w.withinMs - w.graceMs;
      if (ts < horizon) {
        ctx.metrics.count("late_records");
        return;
      }
      const from = `${other}\u0000${key}\u0000${sortableNumber(Math.max(0, ts - w.withinMs))}`;
      const to = `${other}\u0000${key}\u0000${sortableNumber(ts + w.withinMs + 1)}`;
      const partners = kv.range(from, to);
      if (partners.length === 0) ctx.metrics.count("join_misses");
      for (const { value } of partners) {
        const p = value as Buffered;
        ctx.forward(
          side === "l" ? joined(record, record.value, p.v, config.as) : joined(record, p.v, record.value, config.as),
        );
      }
      const id = `${sortableNumber(ts)}\u0000${record.source.topic}\u0000${sortableNumber(record.source.offset)}`;
      kv.put(`${side}\u0000${key}\u0000${id}`, { v: record.value, ts } satisfies Buffered);
      kv.put(`i\u0000${id}\u0000${side}\u0000${key}`, 1);
      kv.put("m\u0000streamTime", streamTime);
      for (const { key: index } of kv.range("i\u0000", `i\u0000${sortableNumber(Math.max(0, horizon))}`)) {
        const [, tsText, topic, offsetText, s, k] = index.split("\u0000");
        kv.delete(index);
        kv.delete(`${s}\u0000${k}\u0000${tsText}\u0000${topic}\u0000${offsetText}`);
      }
    };

    /** The key a stream-stream pair shares: the `on` field of the value, else the record key. */
    const pairKey = (record: StreamRecord): string => {
      const on = window?.on;
      if (on === undefined) return storeKey(record.key);
      const value =
        typeof record.value === "object" && record.value !== null
          ? readPath(record.value as Record<string, unknown>, on)
          : undefined;
      if (typeof value !== "string" && typeof value !== "number") {
        throw new PoisonRecordError(`${ctx.processorName}: join field ${on} is missing or not text`);
      }
      return String(value);
    };

    return {
      init(context) {
        ctx = context;
        kv = context.keyValueStore(config.store ?? context.processorName);
      },
      process(record) {
        if (window !== undefined) return streamStream(record, pairKey(record));
        const key = storeKey(record.key);
        if (record.source.topic === table!.topic) {
          if (record.value === null || record.value === undefined) kv.delete(tableKey(key));
          else kv.put(tableKey(key), record.value);
          ctx.metrics.count("table_updates");
          return;
        }
        const row = kv.get(tableKey(key));
        if (row === undefined) {
          ctx.metrics.count("join_misses");
          if (config.kind === "inner") return;
        }
        ctx.forward(joined(record, record.value, row ?? null, config.as));
      },
    };
  },
});
