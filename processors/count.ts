/**
 * `count`: records per key, per event-time window or overall (Kafka Streams' `groupByKey().windowedBy(...).count()`).
 * Emits `{key, windowStart, windowEnd, count}` on every update or once when the window closes.
 */
import { z } from "zod";
import { defineProcessor } from "./define.ts";
import { windowedOptions, windowedProcessor, windowedStores } from "./windowed-aggregation.ts";

export const countConfig = z.strictObject({ ...windowedOptions });
export type CountConfig = z.infer<typeof countConfig>;

export const countProcessor = defineProcessor({
  type: "count",
  summary: "counts records per key, optionally per tumbling/hopping/session window",
  config: countConfig,
  stores: windowedStores,
  create: (config) =>
    windowedProcessor<number>(config, {
      init: () => 0,
      add: (n) => n + 1,
      merge: (a, b) => a + b,
      result: (n) => ({ count: n }),
    }),
});
