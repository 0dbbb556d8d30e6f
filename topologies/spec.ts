/**
 * The topology spec: one zod schema, the single source of truth for YAML validation, the builder's types, the
 * compiler's input and `describe`. Processor and sink configs are composed from their own modules.
 */
import { z } from "zod";
import { processorRegistry } from "../processors/registry.ts";
import { formatSpec } from "../schemas/format.config.ts";
import { sinkRegistry } from "../sinks/registry.ts";
import { agentSpec } from "./agents.ts";
import { toolsSpec } from "./spec-tools.ts";
import { storeSpec } from "./stores.ts";

/** Marks a field secret: `redact()` and every printout replace its value. */
export function secret<S extends z.ZodType>(schema: S): S {
  return schema.meta({ secret: true });
}

/** Node names: also used as Mermaid ids and metric labels. */
export const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
/** One upstream node name or several. */
export const upstream = z.union([nodeName, z.array(nodeName).min(1)]);

const brokers = z.union([
  z
    .string()
    .min(1)
    .transform((list) => list.split(",").map((b) => b.trim())),
  z.array(z.string().min(1)).min(1),
]);

const saslMechanism = (mechanism: "plain" | "scram-sha-256" | "scram-sha-512") =>
  z.strictObject({ mechanism: z.literal(mechanism), username: z.string().min(1), password: secret(z.string()) });

/** KafkaJS client config (the parts a topology sets). */
export const kafkaClientSpec = z.strictObject({
  /** `host:port` list, or one comma-separated string. */
  brokers,
  /** @default the application id */
  clientId: z.string().min(1).optional(),
  /**
   * TLS: `true` for system CAs, or PEM texts, from the environment or files (`ca: ${file:certs/ca.pem}`), never
   * inline. The broker's certificate is always verified unless `rejectUnauthorized: false`. @default false
   */
  ssl: z
    .union([
      z.boolean(),
      z.strictObject({
        /** @default true */
        rejectUnauthorized: z.boolean().optional(),
        /** The CA that signed the broker's certificate. @default the system CAs */
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: secret(z.string()).optional(),
        passphrase: secret(z.string()).optional(),
      }),
    ])
    .optional(),
  /** SASL in KafkaJS shape; `password: ${KAFKA_PASSWORD}` or `${file:/run/secrets/kafka}`. @default no SASL */
  sasl: z
    .discriminatedUnion("mechanism", [
      saslMechanism("plain"),
      saslMechanism("scram-sha-256"),
      saslMechanism("scram-sha-512"),
    ])
    .optional(),
  /** @default 1000 (KafkaJS) */
  connectionTimeout: z.number().int().positive().optional(),
  /** @default 30000 (KafkaJS) */
  requestTimeout: z.number().int().positive().optional(),
  /** How the consumer fetches: small waits for low latency at low load, large fetches under backlog. */
  fetch: z
    .strictObject({
      /** The broker answers a fetch once it has this many bytes (or `maxWaitTimeInMs` passed). @default 1 */
      minBytes: z.number().int().positive().default(1),
      /** Longest the broker holds a fetch waiting for `minBytes`. @default 500 */
      maxWaitTimeInMs: z.number().int().positive().default(500),
      /** Most bytes one fetch returns per partition. @default 1048576 (1 MiB) */
      maxBytesPerPartition: z
        .number()
        .int()
        .positive()
        .default(1024 * 1024),
    })
    .default({ minBytes: 1, maxWaitTimeInMs: 500, maxBytesPerPartition: 1024 * 1024 }),
});

export const schemaRegistrySpec = z.strictObject({
  url: z.url(),
  auth: z.strictObject({ username: z.string().min(1), password: secret(z.string()) }).optional(),
});

export const clickhouseSpec = z.strictObject({
  url: z.url(),
  /** @default "default" */
  username: z.string().min(1).default("default"),
  /** @default "" */
  password: secret(z.string()).default(""),
  /** @default "default" */
  database: z.string().min(1).default("default"),
});

export const processingSpec = z.strictObject({
  /** @default "at_least_once" */
  guarantee: z.enum(["at_least_once", "exactly_once"]).default("at_least_once"),
  /** Records read but not yet fully acknowledged, per task. @default 10000 */
  maxInFlightRecords: z.number().int().positive().default(10_000),
  /** Bytes read but not yet fully acknowledged, per task. @default 67108864 (64 MiB) */
  maxInFlightBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  /** @default 5000 */
  commitIntervalMs: z.number().int().positive().default(5000),
  /**
   * Consumer-group session timeout: a member silent this long (crashed, paused, partitioned) loses its
   * partitions to the others. @default 30000
   */
  sessionTimeoutMs: z.number().int().min(6000).default(30_000),
  batch: z
    .strictObject({
      /** Records per micro-batch handed to `processBatch`. @default 64 */
      maxRecords: z.number().int().positive().default(64),
      /** Longest a micro-batch waits to fill. @default 20 */
      maxWaitMs: z.number().int().nonnegative().default(20),
    })
    .prefault({}),
  /**
   * Folder of the local state stores: `<stateDir>/<applicationId>/partition-<p>/<store>/` (relative to the
   * working directory; one per member, never shared by two processes). Local copies only: every write is also in
   * the store's changelog topic. @default ".sluice/state"
   */
  stateDir: z.string().min(1).default(".sluice/state"),
});

export const sourceSpec = z.strictObject({
  name: nodeName,
  /** One topic or several. */
  topic: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** @default {format: "string"} */
  key: formatSpec.default({ format: "string" }),
  value: formatSpec,
  /** Where a new consumer group starts. @default "earliest" */
  startFrom: z.enum(["earliest", "latest"]).default("earliest"),
});

/** What a registry holds per type: at least the config schema its nodes carry under the key named after the type. */
type Definitions = Readonly<Record<string, { readonly config: z.ZodType }>>;
/** One node schema: the common fields, `type: T`, and the type's config under the key `T`. */
type NodeOf<T extends string, Common extends z.ZodRawShape, S extends z.ZodType> = z.ZodObject<
  Common & { type: z.ZodLiteral<T> } & { [K in T]: S },
  z.core.$strict
>;
type NodeOptions<R extends Definitions, Common extends z.ZodRawShape> = {
  [T in keyof R & string]: NodeOf<T, Common, R[T]["config"]>;
}[keyof R & string];

/**
 * The discriminated union of every type of a registry, in registry order: the node schemas come from the
 * registry itself, so a new processor or sink type is in the spec (and typed) without being listed here.
 */
function nodeUnion<R extends Definitions, Common extends z.ZodRawShape>(
  registry: R,
  common: (type: z.ZodLiteral<string>) => Common,
) {
  const options = Object.entries(registry).map(([type, definition]) =>
    z.strictObject({ ...common(z.literal(type)), [type]: definition.config }),
  );
  return z.discriminatedUnion(
    "type",
    options as unknown as readonly [NodeOptions<R, Common>, ...NodeOptions<R, Common>[]],
  );
}

export const processorSpec = nodeUnion(processorRegistry, (type) => ({
  name: nodeName,
  type,
  from: upstream,
  description: z.string().optional(),
}));

export const sinkSpec = nodeUnion(sinkRegistry, (type) => ({
  name: nodeName,
  from: upstream.optional(),
  description: z.string().optional(),
  type,
}));

export const topologySpec = z.strictObject({
  /** The topology's name; also the consumer group id and the prefix of its internal topics. */
  applicationId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  description: z.string().optional(),
  kafka: kafkaClientSpec,
  schemaRegistry: schemaRegistrySpec.optional(),
  clickhouse: clickhouseSpec.optional(),
  processing: processingSpec.prefault({}),
  sources: z.array(sourceSpec).min(1),
  /** @default [] */
  processors: z.array(processorSpec).default([]),
  sinks: z.array(sinkSpec).min(1),
  /** State stores for `custom` processors (`ctx.store(name)`); DSL operators declare their own. @default [] */
  stores: z.array(storeSpec).default([]),
  /** Agents `route` processors send records to: id, version, capabilities, a chain of processors, hand-offs. @default [] */
  agents: z.array(agentSpec).default([]),
  /** Tools `tool` processors call: name, description, JSON Schemas, transport, limits, budget. @default [] */
  tools: toolsSpec,
});

/** A validated topology with defaults applied: what the compiler, `describe` and the runtime read. */
export type TopologySpec = z.infer<typeof topologySpec>;
/** What a user writes (before defaults): the builder's input types. */
export type TopologyInput = z.input<typeof topologySpec>;
export type SourceSpec = z.infer<typeof sourceSpec>;
export type ProcessorSpec = z.infer<typeof processorSpec>;
export type SinkSpec = z.infer<typeof sinkSpec>;
export type ProcessingSpec = z.infer<typeof processingSpec>;
export type KafkaClientSpec = z.infer<typeof kafkaClientSpec>;
