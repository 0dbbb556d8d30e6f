/**
 * The compiler's node table: one entry per source, processor and sink (duplicate names rejected), and the Avro
 * schema files they name, loaded with avsc so a missing or invalid file fails validation.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import avro from "avsc";
import type { ProcessorDefinition } from "../processors/define.ts";
import { processorDefinition } from "../processors/registry.ts";
import type { FormatSpec } from "../schemas/format.config.ts";
import type { ProcessorSpec, SinkSpec, SourceSpec, TopologySpec } from "./spec.ts";
import { excerpt } from "./spec-issues.ts";

interface NodeBase {
  readonly name: string;
  /** Where the node is declared: ["processors", 2]. */
  readonly specPath: readonly [string, number];
  /** Upstream node names. */
  parents: string[];
  /** Downstream node names, in declaration order. */
  children: string[];
  /** Avro type of the values reaching this node, when known. */
  inputSchema?: avro.Type;
  /** Avro type of the values this node emits, when known. */
  outputSchema?: avro.Type;
}

export type CompiledNode =
  | (NodeBase & { readonly kind: "source"; readonly type: "source"; readonly spec: SourceSpec })
  | (NodeBase & {
      readonly kind: "processor";
      readonly type: ProcessorSpec["type"];
      readonly spec: ProcessorSpec;
      readonly definition: ProcessorDefinition;
      /** The type-specific config (`spec[spec.type]`). */
      readonly config: unknown;
    })
  | (NodeBase & {
      readonly kind: "sink";
      readonly type: SinkSpec["type"];
      readonly spec: SinkSpec;
      /** Avro type the Kafka sink writes values with, when a schema file is named. */
      valueSchema?: avro.Type;
    });

type Report = (path: Array<string | number>, message: string) => void;

/** Builds the node table, reporting duplicate names. */
export function buildNodes(spec: TopologySpec, report: Report): Map<string, CompiledNode> {
  const nodes = new Map<string, CompiledNode>();
  const add = (node: CompiledNode) => {
    const existing = nodes.get(node.name);
    if (existing) {
      const where = `${existing.specPath[0]}[${existing.specPath[1]}]`;
      report([...node.specPath, "name"], `duplicate name ${excerpt(node.name)}: ${where} already uses it`);
      return;
    }
    nodes.set(node.name, node);
  };
  const base = (name: string, section: string, index: number) => ({
    name,
    specPath: [section, index] as const,
    parents: [] as string[],
    children: [] as string[],
  });
  spec.sources.forEach((source, i) => {
    add({ ...base(source.name, "sources", i), kind: "source", type: "source", spec: source });
  });
  spec.processors.forEach((processor, i) => {
    const definition = processorDefinition(processor.type);
    if (definition === undefined) return;
    const config = (processor as Record<string, unknown>)[processor.type];
    add({
      ...base(processor.name, "processors", i),
      kind: "processor",
      type: processor.type,
      spec: processor,
      definition,
      config,
    });
  });
  spec.sinks.forEach((sink, i) => {
    add({ ...base(sink.name, "sinks", i), kind: "sink", type: sink.type, spec: sink });
  });
  return nodes;
}

/** Reads and parses an `.avsc` file; throws an Error whose message says what is wrong. */
export function readAvroSchema(path: string): avro.Type {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new Error(`schema file not found: ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`schema file ${path} is not JSON: ${(error as Error).message}`);
  }
  try {
    return avro.Type.forSchema(json as avro.Schema);
  } catch (error) {
    throw new Error(`schema file ${path} is not a valid Avro schema: ${(error as Error).message}`);
  }
}

/** Loads every `.avsc` a source or Kafka sink names (relative to `baseDir`) onto its node. */
export function loadSchemas(
  spec: TopologySpec,
  nodes: Map<string, CompiledNode>,
  baseDir: string,
  report: Report,
): void {
  const load = (format: FormatSpec, path: Array<string | number>): avro.Type | undefined => {
    if (format.format !== "avro" || format.schema === undefined) return undefined;
    try {
      return readAvroSchema(resolve(baseDir, format.schema));
    } catch (error) {
      report([...path, "schema"], (error as Error).message);
      return undefined;
    }
  };
  spec.sources.forEach((source, i) => {
    load(source.key, ["sources", i, "key"]);
    const type = load(source.value, ["sources", i, "value"]);
    const node = nodes.get(source.name);
    if (type && node?.kind === "source") node.outputSchema = type;
  });
  spec.sinks.forEach((sink, i) => {
    if (sink.type !== "kafka") return;
    load(sink.kafka.key, ["sinks", i, "kafka", "key"]);
    const type = load(sink.kafka.value, ["sinks", i, "kafka", "value"]);
    const node = nodes.get(sink.name);
    if (type && node?.kind === "sink") node.valueSchema = type;
  });
}
