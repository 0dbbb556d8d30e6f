/**
 * sluice's public entry (`import … from "sluice"`): what a user writes against (the Processor API, its record,
 * the component declarations, the errors, the typed builder, the test driver) and nothing of the machinery.
 * Everything else in the package is internal and may change without notice.
 */

// zod, the schema library configs are declared with: use this one, so a definition's schema composes with sluice's.
// First, before anything loads kafkajs (its send grouping is quadratic otherwise).
import "./topologies/runtime/kafka/kafkajs-patches.ts";

export { z } from "zod";
// The errors a processor throws (poison: dead-letter and move on; transient: retry, then pause) and catches.
export {
  AuthError,
  BatchError,
  ConfigError,
  type ConfigIssue,
  formatIssue,
  isRetriable,
  PoisonRecordError,
  ProducerFencedError,
  SluiceError,
  type SluiceErrorOptions,
  type SourcePosition,
  TransientError,
} from "./core/errors.ts";
// The Processor API: what a processor implements and the record it sees.
export type {
  Headers,
  Processor,
  ProcessorContext,
  ProcessorEnvironment,
  ProcessorFactory,
  ProcessorMetrics,
  RecordSource,
} from "./processors/api.ts";
export { StreamRecord } from "./processors/api.ts";
// Declaring components: a processor or a sink type, its config schema beside its factory.
export { defineProcessor, type ProcessorDefinition } from "./processors/define.ts";
// State stores, as a processor reaches them through `ctx.store(name)`.
export type {
  KeyValueStore,
  PutOptions,
  StateStore,
  StoreDeclaration,
  StoredWindow,
  StoreEntry,
  WindowStore,
} from "./processors/stores.ts";
export type { Deserialized, Serde } from "./schemas/serde.ts";
export type { Sink } from "./sinks/api.ts";
export { type ClickHouseConnection, defineSink, type SinkDefinition, type SinkEnvironment } from "./sinks/define.ts";
// Topologies: the typed builder, the spec it produces, and the broker-free test driver.
export {
  type NodeOptions,
  type ProcessorConfigInput,
  type SinkConfigInput,
  type SinkInput,
  TopologyBuilder,
  topology,
} from "./topologies/builder.ts";
export { type CompiledTopology, compileTopology } from "./topologies/compiler.ts";
export type { RejectedRecord } from "./topologies/executor-invoke.ts";
export type { TopologyInput, TopologySpec } from "./topologies/spec.ts";
export { type TestDriverOptions, type TestRecord, TopologyTestDriver } from "./topologies/test-driver.ts";
export { type LoadedTopology, type LoadOptions, loadTopologyFile, parseTopology } from "./topologies/yaml-loader.ts";
