/**
 * The ProcessorContext the executor hands each processor instance, and an in-memory metrics store the test
 * driver exposes (the runtime passes its own Prometheus-backed metrics instead).
 */
import type { Logger } from "pino";
import type { ProcessorContext, ProcessorMetrics, StreamRecord } from "../processors/api.ts";
import type { KeyValueStore, StateStore, StoreProvider, WindowStore } from "../processors/stores.ts";

/** Counters and observation summaries per processor, kept in memory. */
export class MemoryMetrics {
  private readonly counters = new Map<string, number>();
  private readonly observations = new Map<string, { count: number; sum: number; max: number }>();

  /** The metrics interface for one processor. */
  forProcessor(processor: string): ProcessorMetrics {
    return {
      count: (name, value = 1) => {
        const key = `${processor}.${name}`;
        this.counters.set(key, (this.counters.get(key) ?? 0) + value);
      },
      observe: (name, value) => {
        const key = `${processor}.${name}`;
        const o = this.observations.get(key) ?? { count: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
        this.observations.set(key, { count: o.count + 1, sum: o.sum + value, max: Math.max(o.max, value) });
      },
    };
  }

  /** `processor.name` → total, for every counter. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** `processor.name` → {count, sum, max}, for every distribution. */
  summaries(): Record<string, { count: number; sum: number; max: number }> {
    return Object.fromEntries(this.observations);
  }
}

export interface ContextSettings {
  applicationId: string;
  runId: string;
  processorName: string;
  taskId: string;
  partition: number;
  logger: Logger;
  metrics: ProcessorMetrics;
  now: () => number;
  children: readonly string[];
  /** Where forwarded records go; the executor checks `child` and attributes the record to its input. */
  forward: (record: StreamRecord, child?: string) => void;
  /** The task's stores. @default none declared */
  stores?: StoreProvider;
}

const NO_STORES: StoreProvider = {
  store(name) {
    throw new Error(
      `state store "${name}" is not declared in this topology (declare it under stores:, or use a stateful operator)`,
    );
  },
};

/** Builds a frozen context; `forward` rejects a child name that is not a child of this node. */
export function createProcessorContext(settings: ContextSettings): ProcessorContext {
  const { forward, children, processorName } = settings;
  const stores = settings.stores ?? NO_STORES;
  const typed = (name: string, kind: StateStore["kind"]): StateStore => {
    const store = stores.store(name);
    if (store.kind !== kind) throw new Error(`${processorName}: store "${name}" is a ${store.kind} store, not ${kind}`);
    return store;
  };
  return Object.freeze({
    applicationId: settings.applicationId,
    runId: settings.runId,
    processorName,
    taskId: settings.taskId,
    partition: settings.partition,
    logger: settings.logger,
    metrics: settings.metrics,
    children,
    now: settings.now,
    store: (name: string) => stores.store(name),
    keyValueStore: <V>(name: string) => typed(name, "keyValue") as KeyValueStore<V>,
    windowStore: <V>(name: string) => typed(name, "window") as WindowStore<V>,
    forward(record: StreamRecord, child?: string) {
      if (child !== undefined && !children.includes(child)) {
        throw new Error(
          `${processorName} forwarded to "${child}", which is not one of its children (${children.join(", ")})`,
        );
      }
      forward(record, child);
    },
  });
}
