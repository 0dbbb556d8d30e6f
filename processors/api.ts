/**
 * The Processor API: what users implement and what the built-ins are made of. Modelled on Kafka Streams'
 * `org.apache.kafka.streams.processor.api` (Processor, ProcessorContext, Record). The engine lives elsewhere
 * (`topologies/runtime/`); nothing here knows about Kafka clients or sinks.
 */
import type { Logger } from "pino";
import type { AgentDefinition } from "./agents-api.ts";
import type { KeyValueStore, StateStore, WindowStore } from "./stores.ts";
import type { ToolSpec } from "./tools/tool-spec.ts";

export type { KeyValueStore, PutOptions, StateStore, StoredWindow, StoreEntry, WindowStore } from "./stores.ts";

/** Where a record came from. Lineage: set once when the record is consumed and never rewritten. */
export interface RecordSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Kafka-style headers: a value is bytes or text. */
export type Headers = Readonly<Record<string, Buffer | string | undefined>>;

/** An immutable record. Copy it with the `with*` methods; `source` is carried over untouched. */
export class StreamRecord<V = unknown> {
  constructor(
    readonly key: Buffer | string | null,
    readonly value: V,
    readonly headers: Headers,
    readonly timestamp: number,
    readonly source: RecordSource,
  ) {
    Object.freeze(this);
  }

  withValue<W>(value: W): StreamRecord<W> {
    return new StreamRecord(this.key, value, this.headers, this.timestamp, this.source);
  }

  withKey(key: Buffer | string | null): StreamRecord<V> {
    return new StreamRecord(key, this.value, this.headers, this.timestamp, this.source);
  }

  withHeaders(headers: Headers): StreamRecord<V> {
    return new StreamRecord(this.key, this.value, headers, this.timestamp, this.source);
  }

  /** Adds or replaces some headers, keeping the others. */
  withHeader(name: string, value: Buffer | string): StreamRecord<V> {
    return this.withHeaders({ ...this.headers, [name]: value });
  }

  withTimestamp(timestamp: number): StreamRecord<V> {
    return new StreamRecord(this.key, this.value, this.headers, timestamp, this.source);
  }
}

/** Counters and timings a processor may report; the runtime maps them to Prometheus and `pipeline_metrics`. */
export interface ProcessorMetrics {
  /** Adds `value` (default 1) to a named counter of this processor. */
  count(name: string, value?: number): void;
  /** Records one observation (milliseconds, or a size) of a named distribution of this processor. */
  observe(name: string, value: number): void;
}

/** What a processor sees of its task. One instance per processor per task. */
export interface ProcessorContext {
  /** The topology's application id (the consumer group). */
  readonly applicationId: string;
  /** Run id: `live` for the live group, a fresh id for a replay. Stamped on every output. */
  readonly runId: string;
  /** This node's name in the topology. */
  readonly processorName: string;
  /** `<topic>-<partition>`: the task this processor instance belongs to. */
  readonly taskId: string;
  readonly partition: number;
  readonly logger: Logger;
  readonly metrics: ProcessorMetrics;
  /** Wall-clock milliseconds; the test driver controls it. */
  now(): number;
  /**
   * Sends a record downstream: to every child, or to the named child only. Records forwarded while processing
   * one input keep that input's lineage; order is kept per task.
   */
  forward(record: StreamRecord, child?: string): void;
  /** Names of this node's children, in the order the topology declares them. */
  readonly children: readonly string[];
  /**
   * A state store of this task, declared in the topology's `stores:` or implied by a DSL operator. Throws
   * naming the declared stores when `name` is not one of them.
   */
  store(name: string): StateStore;
  /** `store(name)`, checked to be a key-value store. */
  keyValueStore<V = unknown>(name: string): KeyValueStore<V>;
  /** `store(name)`, checked to be a window store. */
  windowStore<V = unknown>(name: string): WindowStore<V>;
}

/**
 * A stream processor. Implement `process` (one record at a time) or `processBatch` (micro-batches, for
 * enrichment and inference). Throw `PoisonRecordError` for bad data (the record is dead-lettered) and
 * `TransientError` when a dependency is down (retried, then the partition pauses). In `processBatch`, throw a
 * `BatchError` naming the failed indices so their neighbours still go through.
 */
export interface Processor<V = unknown> {
  init?(context: ProcessorContext): void | Promise<void>;
  process?(record: StreamRecord<V>): void | Promise<void>;
  processBatch?(records: readonly StreamRecord<V>[]): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Builds one processor instance per task from its validated config. */
export type ProcessorFactory<C = unknown> = (config: C, env: ProcessorEnvironment) => Processor;

/** What a factory may know of where it runs: paths resolve against the topology file's folder. */
export interface ProcessorEnvironment {
  /** Folder of the topology file; relative paths in the config resolve against it. */
  readonly baseDir: string;
  /** Avro schema of the records reaching this node, when known (used to check field references). */
  readonly inputSchema?: unknown;
  /** The topology's `agents:` section, for `route` processors. @default none */
  readonly agents?: readonly AgentDefinition[];
  /** The topology's `tools:` section (what a `tool` processor may call). @default none */
  readonly tools?: readonly ToolSpec[];
  /** Names of this node's children, when known (compile time), for configs that name a child. @default unknown */
  readonly children?: readonly string[];
}
