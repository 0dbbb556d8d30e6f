/**
 * The engine shared by `count`, `aggregate` and `reduce`: groups records by key, assigns them to event-time
 * windows (`windows.ts`), keeps one accumulator per key per window in the operator's store, advances stream time,
 * handles late records (dropped or dead-lettered, counted either way), emits on every update or once at close,
 * and removes closed windows. Stream time and the last applied offset per input partition are kept in the same
 * store, so after a restore a redelivered record is recognised and not counted twice.
 */
import { ConfigError, PoisonRecordError } from "../core/errors.ts";
import type { Processor, ProcessorContext, StreamRecord } from "./api.ts";
import { type CompiledExpression, compileExpression, recordVariables } from "./cel.ts";
import type { KeyValueStore, StoreDeclaration, StoredWindow } from "./stores.ts";
import { storeKey } from "./stores.ts";
import { KeyValueWindowStore } from "./window-store.ts";
import { closeDelay, fixedWindows, type WindowConfig, windowProblem } from "./windows.ts";

export { windowedOptions } from "./windows.ts";

/** How one operator folds records into an accumulator. */
export interface Aggregation<A> {
  init(): A;
  add(accumulator: A, record: StreamRecord): A;
  /** Combines two sessions' accumulators (`earlier` started first). */
  merge(earlier: A, later: A): A;
  /** The fields the accumulator contributes to the emitted value. */
  result(accumulator: A): Record<string, unknown>;
}

export interface WindowedSettings {
  window?: WindowConfig | undefined;
  graceMs: number;
  emit: "update" | "final";
  late: "drop" | "dead-letter";
  groupBy?: string | undefined;
  store?: string | undefined;
}

const STREAM_TIME = "m\u0000streamTime";
const applied = (record: StreamRecord) => `m\u0000applied\u0000${record.source.topic}\u0000${record.source.partition}`;

/** The store a windowed operator needs: one key-value store named `store` or after the node. */
export function windowedStores(settings: WindowedSettings, nodeName: string): StoreDeclaration[] {
  return [{ name: settings.store ?? nodeName, kind: "keyValue" }];
}

function keyText(result: unknown): string {
  if (typeof result === "string") return result;
  if (typeof result === "number" || typeof result === "bigint" || typeof result === "boolean") return String(result);
  if (result === null) return "";
  throw new PoisonRecordError(`groupBy gave ${JSON.stringify(result)}, not a scalar`);
}

/** Builds the processor of one windowed operator. */
export function windowedProcessor<A>(settings: WindowedSettings, aggregation: Aggregation<A>): Processor {
  const problem = windowProblem(settings.window);
  if (problem !== undefined) throw new ConfigError([{ path: "window", message: problem }]);
  const groupBy: CompiledExpression | undefined =
    settings.groupBy === undefined ? undefined : compileExpression(settings.groupBy, "groupBy");
  const delay = closeDelay(settings.window, settings.graceMs);
  const session = settings.window?.type === "session" ? settings.window : undefined;
  let ctx: ProcessorContext;
  let kv: KeyValueStore;
  let windows: KeyValueWindowStore<A>;

  const emit = (record: StreamRecord, w: StoredWindow<A>, removed = false) => {
    const value: Record<string, unknown> = { key: w.key };
    if (settings.window !== undefined) Object.assign(value, { windowStart: w.start, windowEnd: w.end });
    if (removed) value.removed = true;
    else Object.assign(value, aggregation.result(w.value));
    ctx.forward(record.withKey(w.key).withValue(value));
  };

  return {
    init(context) {
      ctx = context;
      kv = context.keyValueStore(settings.store ?? context.processorName);
      windows = new KeyValueWindowStore<A>(kv, settings.window !== undefined);
    },
    process(record) {
      const offset = kv.get(applied(record)) as number | undefined;
      if (offset !== undefined && record.source.offset <= offset) {
        ctx.metrics.count("redelivered_skipped");
        return;
      }
      const key = groupBy === undefined ? storeKey(record.key) : keyText(groupBy.evaluate(recordVariables(record)));
      const streamTime = Math.max((kv.get(STREAM_TIME) as number | undefined) ?? 0, record.timestamp);
      const open = (end: number) => end + delay > streamTime;
      let accepted = 0;
      if (session !== undefined) {
        const ts = record.timestamp;
        const touching = windows
          .windowsOf(key)
          .filter((w) => w.start - session.gapMs <= ts && ts <= w.end + session.gapMs);
        const start = Math.min(ts, ...touching.map((w) => w.start));
        const end = Math.max(ts, ...touching.map((w) => w.end));
        if (open(end)) {
          let acc = aggregation.init();
          let added = false;
          for (const w of touching) {
            if (!added && ts < w.start) {
              acc = aggregation.add(acc, record);
              added = true;
            }
            acc = aggregation.merge(acc, w.value);
          }
          if (!added) acc = aggregation.add(acc, record);
          for (const w of touching) {
            windows.remove(w.key, w.start);
            if (settings.emit === "update" && w.start !== start) emit(record, w, true);
          }
          const merged = { key, start, end, value: acc };
          windows.put(merged);
          if (settings.emit === "update") emit(record, merged);
          accepted = 1;
        }
      } else {
        for (const { start, end } of fixedWindows(settings.window, record.timestamp)) {
          if (!open(end)) continue;
          const old = windows.fetch(key, start);
          const next = { key, start, end, value: aggregation.add(old?.value ?? aggregation.init(), record) };
          windows.put(next, old ?? null);
          if (settings.emit === "update") emit(record, next);
          accepted++;
        }
      }
      if (accepted === 0) {
        ctx.metrics.count("late_records");
        if (settings.late === "dead-letter") {
          throw new PoisonRecordError(
            `late record: event time ${record.timestamp} is past the close of its window (stream time ${streamTime}, grace ${settings.graceMs} ms)`,
          );
        }
      }
      kv.put(STREAM_TIME, streamTime);
      kv.put(applied(record), record.source.offset);
      if (settings.window !== undefined) {
        for (const closed of windows.endingBy(streamTime - delay)) {
          if (settings.emit === "final") emit(record, closed);
          windows.remove(closed.key, closed.start);
        }
      }
    },
  };
}
