/**
 * The typed builder: `topology("support-triage").source(...).filter(...).enrich(...).to(...)` produces the same
 * spec object the YAML loader does (validated, defaults applied), with config types inferred from the schemas.
 */
import type { z } from "zod";
import { ConfigError } from "../core/errors.ts";
import type { ProcessorType, processorRegistry } from "../processors/registry.ts";
import type { SinkType, sinkRegistry } from "../sinks/registry.ts";
import type { TopologyInput, TopologySpec } from "./spec.ts";
import type { storeSpec } from "./stores.ts";

/** A `stores:` entry as written (before defaults). */
export type StoreInput = z.input<typeof storeSpec>;

import { formatPath, validateSpec } from "./spec-issues.ts";

type Registry = typeof processorRegistry;
/** What a processor of type T takes as config (before defaults). */
export type ProcessorConfigInput<T extends ProcessorType> = z.input<Registry[T]["config"]>;
type SourceInput = Omit<TopologyInput["sources"][number], "name">;

/** Where a node reads from and its description. */
export interface NodeOptions {
  /** Upstream node(s). @default the node added last (or named by `.from()`) */
  from?: string | string[];
  description?: string;
}

/** What a sink of type T takes as config (before defaults). */
export type SinkConfigInput<T extends SinkType> = z.input<(typeof sinkRegistry)[T]["config"]>;
/** A sink: exactly one of its type's config keys (`{kafka: {...}}`, `{clickhouse: {...}}`). */
export type SinkInput = { [T in SinkType]: { [K in T]: SinkConfigInput<T> } }[SinkType];

type Mutable = { -readonly [K in keyof TopologyInput]: TopologyInput[K] };

/**
 * Builds a topology spec in code, node by node; `build()` validates it exactly as the YAML loader does. Start one
 * with `topology(applicationId)`.
 */
export class TopologyBuilder {
  private readonly spec: Mutable;
  private cursor: string | undefined;

  constructor(applicationId: string) {
    this.spec = { applicationId, kafka: { brokers: [] }, sources: [], processors: [], sinks: [] };
  }

  description(text: string): this {
    this.spec.description = text;
    return this;
  }

  kafka(config: TopologyInput["kafka"]): this {
    this.spec.kafka = config;
    return this;
  }

  schemaRegistry(config: NonNullable<TopologyInput["schemaRegistry"]>): this {
    this.spec.schemaRegistry = config;
    return this;
  }

  clickhouse(config: NonNullable<TopologyInput["clickhouse"]>): this {
    this.spec.clickhouse = config;
    return this;
  }

  processing(config: NonNullable<TopologyInput["processing"]>): this {
    this.spec.processing = config;
    return this;
  }

  /** Adds a source; later nodes read from it by default. */
  source(name: string, config: SourceInput): this {
    this.spec.sources.push({ name, ...config });
    this.cursor = name;
    return this;
  }

  /** Makes `name` the default upstream of the next node. */
  from(name: string): this {
    this.cursor = name;
    return this;
  }

  private upstream(options: NodeOptions, what: string): string | string[] {
    const from = options.from ?? this.cursor;
    if (from === undefined) throw new ConfigError(`${what}: no upstream (add a source first or pass {from})`);
    return from;
  }

  /** Adds a processor of any registered type; it becomes the default upstream. */
  processor<T extends ProcessorType>(
    type: T,
    name: string,
    config: ProcessorConfigInput<T>,
    options: NodeOptions = {},
  ): this {
    const node = { name, type, from: this.upstream(options, name), [type]: config };
    if (options.description !== undefined) Object.assign(node, { description: options.description });
    this.spec.processors = [...(this.spec.processors ?? []), node as never];
    this.cursor = name;
    return this;
  }

  filter(name: string, config: ProcessorConfigInput<"filter">, options?: NodeOptions): this {
    return this.processor("filter", name, config, options);
  }
  map(name: string, config: ProcessorConfigInput<"map">, options?: NodeOptions): this {
    return this.processor("map", name, config, options);
  }
  branch(name: string, config: ProcessorConfigInput<"branch">, options?: NodeOptions): this {
    return this.processor("branch", name, config, options);
  }
  embed(name: string, config: ProcessorConfigInput<"embed">, options?: NodeOptions): this {
    return this.processor("embed", name, config, options);
  }
  enrich(name: string, config: ProcessorConfigInput<"enrich">, options?: NodeOptions): this {
    return this.processor("enrich", name, config, options);
  }
  infer(name: string, config: ProcessorConfigInput<"infer">, options?: NodeOptions): this {
    return this.processor("infer", name, config, options);
  }
  decide(name: string, config: ProcessorConfigInput<"decide">, options?: NodeOptions): this {
    return this.processor("decide", name, config, options);
  }
  custom(name: string, config: ProcessorConfigInput<"custom">, options?: NodeOptions): this {
    return this.processor("custom", name, config, options);
  }
  count(name: string, config: ProcessorConfigInput<"count">, options?: NodeOptions): this {
    return this.processor("count", name, config, options);
  }
  aggregate(name: string, config: ProcessorConfigInput<"aggregate">, options?: NodeOptions): this {
    return this.processor("aggregate", name, config, options);
  }
  reduce(name: string, config: ProcessorConfigInput<"reduce">, options?: NodeOptions): this {
    return this.processor("reduce", name, config, options);
  }
  /** A join; pass both upstreams as `{from: [stream, other]}`. */
  join(name: string, config: ProcessorConfigInput<"join">, options?: NodeOptions): this {
    return this.processor("join", name, config, options);
  }
  dedupe(name: string, config: ProcessorConfigInput<"dedupe">, options?: NodeOptions): this {
    return this.processor("dedupe", name, config, options);
  }

  /** Declares a state store for custom processors (`ctx.store(name)`). */
  store(name: string, config: Omit<StoreInput, "name"> = {}): this {
    this.spec.stores = [...(this.spec.stores ?? []), { name, ...config }];
    return this;
  }

  /** Adds a sink reading from the current node (or `options.from`); the cursor stays where it is. */
  to(name: string, sink: SinkInput, options: NodeOptions = {}): this {
    const type = Object.keys(sink)[0] as keyof SinkInput;
    const node = { name, type, from: this.upstream(options, name), ...sink };
    if (options.description !== undefined) Object.assign(node, { description: options.description });
    this.spec.sinks.push(node as never);
    return this;
  }

  /** Adds the dead-letter sink that collects every dead letter (no upstream). */
  deadLetters(name: string, config: SinkConfigInput<"dead-letter"> = {}): this {
    this.spec.sinks.push({ name, type: "dead-letter", "dead-letter": config });
    return this;
  }

  /** Validates and returns the spec (defaults applied); throws `ConfigError` with every problem. */
  build(): TopologySpec {
    const result = validateSpec(this.spec);
    if (!result.ok) {
      throw new ConfigError(result.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })));
    }
    return result.spec;
  }
}

/** Starts a topology named `applicationId`. */
export function topology(applicationId: string): TopologyBuilder {
  return new TopologyBuilder(applicationId);
}
