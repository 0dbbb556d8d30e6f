/**
 * How a sink type is declared: its spec `type`, its zod config schema and its factory, side by side, as
 * processors are (`processors/define.ts`). `sinks/registry.ts` collects them; the topology spec composes their
 * config schemas and the runtime builds every sink node through `create`, so adding a sink touches one file.
 */
import type { BulkheadPolicy } from "cockatiel";
import type { z } from "zod";
import type { KafkaClient, Sender } from "../core/kafka.ts";
import type { FormatSpec } from "../schemas/format.config.ts";
import type { Serde } from "../schemas/serde.ts";
import type { Sink } from "./api.ts";
import type { DeadLetterWriter } from "./dead-letter.ts";

/** The topology's ClickHouse server, as its `clickhouse:` section gives it. */
export interface ClickHouseConnection {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
}

/** What the runtime hands a sink factory: the sink node's name and the topology's shared clients. */
export interface SinkEnvironment {
  /** Name of the sink node in the topology. */
  readonly name: string;
  /** The topology's application id (consumer group). */
  readonly applicationId: string;
  /** Stamped on every output (`live`, or a replay's id). */
  readonly runId: string;
  /** The topology's Kafka client. */
  readonly kafka: KafkaClient;
  /**
   * Exactly-once: the task's transactional producer, to send inside its transaction. Only given to sinks
   * declared `transactional`. @default undefined (the sink sends through a producer of its own)
   */
  readonly producer?: Sender;
  /** The dead-letter topic's writer (the task's own in exactly-once mode). */
  readonly deadLetters: DeadLetterWriter;
  /** The topology's ClickHouse server. @default undefined (the topology has no `clickhouse:` section) */
  readonly clickhouse?: ClickHouseConnection;
  /** The process-wide bound on ClickHouse INSERTs in flight. */
  readonly insertSlots: BulkheadPolicy;
  /** A serde for a key or value format (Avro through the topology's registry, one schema cache). */
  serde(format: FormatSpec, role: "key" | "value"): Serde;
}

/** A sink type: what a topology's `sinks[]` entry of this `type` builds. */
export interface SinkDefinition<S extends z.ZodType = z.ZodType> {
  /** The spec `type`, e.g. `kafka`, `clickhouse`. */
  readonly type: string;
  /** One line for `describe` and the generated configuration reference. */
  readonly summary: string;
  /** Config schema, under the key named after `type`; validated when the topology is compiled. */
  readonly config: S;
  /**
   * True when the sink writes to Kafka and must, in exactly-once mode, be built once per task with the task's
   * transactional producer (`env.producer`). @default false (one instance shared by all tasks)
   */
  readonly transactional?: boolean;
  /** Builds the sink. May throw `ConfigError` for problems only visible at build time. */
  readonly create: (config: z.infer<S>, env: SinkEnvironment) => Sink;
}

/** Declares a sink type; the identity function that gives `create` its config type from `config`. */
export function defineSink<S extends z.ZodType>(definition: SinkDefinition<S>): SinkDefinition<S> {
  return definition;
}
