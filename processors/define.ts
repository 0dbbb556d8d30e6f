/**
 * How a processor type is declared: its spec `type`, its zod config schema and its factory, side by side
 * (Redpanda Connect registers each component with its config spec). `processors/registry.ts` collects them;
 * the topology spec composes their config schemas, so YAML validation, TS types and `describe` share one source.
 */
import type { z } from "zod";
import { BatchError } from "../core/errors.ts";
import type { Processor, ProcessorEnvironment, StreamRecord } from "./api.ts";
import type { StoreDeclaration } from "./stores.ts";

/** A processor type: its spec `type`, its config schema and its factory, side by side (see `defineProcessor`). */
export interface ProcessorDefinition<S extends z.ZodType = z.ZodType> {
  /** The spec `type`, e.g. `filter`, `enrich`. */
  readonly type: string;
  /** One line for `describe` and the generated configuration reference. */
  readonly summary: string;
  /** Config schema; validated when the topology is compiled, never when the first record arrives. */
  readonly config: S;
  /** Builds one instance per task. May throw `ConfigError` for problems only visible at build time. */
  readonly create: (config: z.infer<S>, env: ProcessorEnvironment) => Processor;
  /** The state stores a node of this type needs (DSL operators), given its config and node name. @default none */
  readonly stores?: (config: z.infer<S>, nodeName: string) => StoreDeclaration[];
  /**
   * Wall-clock punctuation: topics (inputs of this node) to which `sluice run` writes a `tick` event
   * (`{verdict: "tick"}`, header `sluice-tick`) per owned partition every `intervalMs`, so time-driven work
   * (approval expiry) runs, and commits, like any record. @default none
   */
  readonly punctuation?: (config: z.infer<S>) => Array<{ topic: string; intervalMs: number }>;
}

/**
 * Declares a processor type; the identity function that types `create`'s config from `config`. A built-in is
 * registered in `processors/registry.ts`; a user's own is exported from a module a topology names with `type: custom`.
 */
export function defineProcessor<S extends z.ZodType>(definition: ProcessorDefinition<S>): ProcessorDefinition<S> {
  return definition;
}

/**
 * `process` for a processor written as `processBatch`: one record as a batch of one, rethrowing that record's
 * own failure (a `BatchError` names it) so the caller sees the record's error, not the batch's.
 */
export function processOneByBatch<V>(
  processBatch: (records: readonly StreamRecord<V>[]) => Promise<void>,
): (record: StreamRecord<V>) => Promise<void> {
  return async (record) => {
    try {
      await processBatch([record]);
    } catch (error) {
      throw error instanceof BatchError ? (error.failures.get(0) ?? error) : error;
    }
  };
}
