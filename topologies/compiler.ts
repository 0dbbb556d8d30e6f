/**
 * Topology spec → validated DAG: names resolved, wiring checked (unknown upstreams, cycles, unreachable and
 * dead-end nodes, sinks without upstream), Avro schema files loaded, and every processor built once so its
 * config and expressions are checked before anything runs. Every problem is reported at once.
 */
import type avro from "avsc";
import { ConfigError, type ConfigIssue } from "../core/errors.ts";
import type { ProcessorEnvironment } from "../processors/api.ts";
import { didYouMean } from "../processors/did-you-mean.ts";
import { processorDefinition, processorTypes, schemaPreservingTypes } from "../processors/registry.ts";
import { defaultDeadLetterTopic } from "../sinks/dead-letter.ts";
import { agentDefinitions } from "./agents.ts";
import { checkAgents } from "./agents-check.ts";
import { buildNodes, type CompiledNode, loadSchemas } from "./compiler-nodes.ts";
import { checkWiring } from "./compiler-wiring.ts";
import type { TopologySpec } from "./spec.ts";
import { formatPath, parsePath, validateSpec } from "./spec-issues.ts";
import { checkTools } from "./spec-tools.ts";
import { checkStores } from "./stores.ts";
import { type LoadedTopology, type Locator, sortIssues } from "./yaml-loader.ts";

export type { CompiledNode } from "./compiler-nodes.ts";

/** A validated topology, ready for the executor, the test driver and the runtime. */
export interface CompiledTopology {
  readonly spec: TopologySpec;
  readonly file?: string;
  readonly baseDir: string;
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Every node name, parents before children (sources first). */
  readonly order: readonly string[];
  /** Topic → source node name. */
  readonly sourceByTopic: ReadonlyMap<string, string>;
  /** Where dead letters go: the dead-letter sink's topic, or `<applicationId>.dlq`. */
  readonly deadLetterTopic: string;
  /** The dead-letter sink without `from` that collects every dead letter, when declared. */
  readonly deadLetterSink?: string;
}

export interface CompileOptions {
  /** Name used in messages. */
  file?: string;
  /** Relative paths resolve against it. @default process.cwd() */
  baseDir?: string;
  /** Positions for messages (the YAML loader provides one). */
  locate?: Locator;
  /** Build each processor once to check its config and expressions. @default true */
  checkProcessors?: boolean;
}

function isLoaded(input: unknown): input is LoadedTopology {
  return typeof input === "object" && input !== null && "spec" in input && "locate" in input;
}

/** Compiles a spec (raw or loaded from YAML). Throws `ConfigError` listing every problem. */
export function compileTopology(input: unknown, options: CompileOptions = {}): CompiledTopology {
  const loaded = isLoaded(input) ? input : undefined;
  const file = loaded?.file ?? options.file;
  const baseDir = loaded?.baseDir ?? options.baseDir ?? process.cwd();
  const locate = loaded?.locate ?? options.locate;
  const issues: ConfigIssue[] = [];
  const report = (path: Array<string | number>, message: string, extra: { offset?: number; atKey?: boolean } = {}) => {
    issues.push({ ...(file ? { file } : {}), ...locate?.(path, extra), path: formatPath(path), message });
  };

  let spec: TopologySpec;
  if (loaded) {
    spec = loaded.spec;
  } else {
    const result = validateSpec(input);
    if (!result.ok) {
      for (const issue of result.issues) report(issue.path, issue.message, { atKey: issue.atKey === true });
      throw new ConfigError(sortIssues(issues));
    }
    spec = result.spec;
  }

  const nodes = buildNodes(spec, report);
  loadSchemas(spec, nodes, baseDir, report);
  const { order, sourceByTopic } = checkWiring(spec, nodes, report);
  propagateSchemas(order, nodes);
  checkStores(spec, report);
  // What every factory is given besides its input schema; agent steps are built with the same.
  const env: ProcessorEnvironment = { baseDir, agents: agentDefinitions(spec.agents), tools: spec.tools };
  checkTools(spec, baseDir, report);
  checkAgents(spec, env, report, options.checkProcessors !== false);
  if (options.checkProcessors !== false) buildProcessors(spec, nodes, env, report);

  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  const catchAll = spec.sinks.find((s) => s.type === "dead-letter" && s.from === undefined);
  const dlqTopic = catchAll?.type === "dead-letter" ? catchAll["dead-letter"].topic : undefined;
  return {
    spec,
    ...(file ? { file } : {}),
    baseDir,
    nodes,
    order,
    sourceByTopic,
    deadLetterTopic: dlqTopic ?? defaultDeadLetterTopic(spec.applicationId),
    ...(catchAll ? { deadLetterSink: catchAll.name } : {}),
  };
}

/** The input schema of a node is known when all its parents emit the same known schema. */
function propagateSchemas(order: readonly string[], nodes: Map<string, CompiledNode>): void {
  for (const name of order) {
    const node = nodes.get(name)!;
    if (node.kind === "source") continue;
    const parentSchemas = new Set<avro.Type | undefined>(node.parents.map((p) => nodes.get(p)?.outputSchema));
    const [only] = parentSchemas;
    if (parentSchemas.size === 1 && only !== undefined) node.inputSchema = only;
    if (node.kind === "processor" && schemaPreservingTypes.has(node.type)) node.outputSchema = node.inputSchema;
  }
}

type Report = (path: Array<string | number>, message: string, extra?: { offset?: number; atKey?: boolean }) => void;

function buildProcessors(
  spec: TopologySpec,
  nodes: Map<string, CompiledNode>,
  env: ProcessorEnvironment,
  report: Report,
) {
  spec.processors.forEach((processor, index) => {
    const definition = processorDefinition(processor.type);
    const base: Array<string | number> = ["processors", index, processor.type];
    if (definition === undefined) {
      report(
        ["processors", index, "type"],
        `unknown processor type "${processor.type}"${didYouMean(processor.type, processorTypes)}`,
      );
      return;
    }
    const node = nodes.get(processor.name);
    const config = (processor as Record<string, unknown>)[processor.type];
    try {
      definition.create(config as never, {
        ...env,
        ...(node?.inputSchema ? { inputSchema: node.inputSchema } : {}),
        ...(node ? { children: node.children } : {}),
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) {
        report(base, `cannot build ${processor.type} processor: ${(error as Error).message}`);
        return;
      }
      for (const issue of error.issues) {
        const offset = (issue as { offset?: unknown }).offset;
        const path = issue.path ? [...base, ...parsePath(issue.path)] : base;
        report(path, issue.message, typeof offset === "number" ? { offset } : {});
      }
    }
  });
}
