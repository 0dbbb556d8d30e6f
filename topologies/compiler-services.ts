/**
 * What a topology needs of the outside world before it can run: a ClickHouse sink needs the topology's
 * `clickhouse:` section, an Avro serde needs `schemaRegistry:`, an Avro Kafka sink needs a schema to encode with.
 * `sluice validate` and `sluice run` (before it connects) check one set of rules, here, so nothing validates that
 * `run` then refuses. The test driver needs no services and compiles without these checks.
 */
import { ConfigError, type ConfigIssue } from "../core/errors.ts";
import { type CompiledTopology, compileTopology } from "./compiler.ts";
import type { TopologySpec } from "./spec.ts";
import { formatPath, type SpecIssue } from "./spec-issues.ts";
import { type LoadedTopology, sortIssues } from "./yaml-loader.ts";

interface FormatLike {
  format?: unknown;
  schema?: unknown;
}

const isAvro = (format: unknown): format is FormatLike =>
  typeof format === "object" && format !== null && (format as FormatLike).format === "avro";

/** Every service a valid spec needs but does not configure, as spec issues (positions come from the caller). */
export function serviceIssues(spec: TopologySpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const needsRegistry = (format: unknown, path: Array<string | number>, owner: string) => {
    if (isAvro(format) && spec.schemaRegistry === undefined)
      issues.push({
        path: [...path, "format"],
        message: `${owner} is Avro, which needs a schema registry: add a schemaRegistry: {url} section`,
      });
  };
  spec.sources.forEach((source, i) => {
    needsRegistry(source.key, ["sources", i, "key"], `the key of source "${source.name}"`);
    needsRegistry(source.value, ["sources", i, "value"], `the value of source "${source.name}"`);
  });
  spec.sinks.forEach((sink, i) => {
    const config = (sink as Record<string, unknown>)[sink.type] as Record<string, unknown> | undefined;
    if (sink.type === "clickhouse" && spec.clickhouse === undefined) {
      issues.push({
        path: ["sinks", i, "type"],
        message: `sink "${sink.name}" writes to ClickHouse, but the topology has no clickhouse: {url} section`,
      });
    }
    for (const role of ["key", "value"] as const) {
      const format = config?.[role];
      if (!isAvro(format)) continue;
      const path = ["sinks", i, sink.type, role];
      needsRegistry(format, path, `the ${role} of sink "${sink.name}"`);
      if (format.schema === undefined)
        issues.push({
          path: [...path, "format"],
          message: `the ${role} of sink "${sink.name}" is Avro without a schema: add schema: <file.avsc> to encode with`,
        });
    }
  });
  return issues;
}

/**
 * Compiles a loaded topology for running: every compiler problem and every missing service, together, each at
 * its file:line:column. Throws `ConfigError`; `sluice validate` reports the same list.
 */
export function compileForRun(loaded: LoadedTopology): CompiledTopology {
  const issues: ConfigIssue[] = [];
  let compiled: CompiledTopology | undefined;
  try {
    compiled = compileTopology(loaded);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    issues.push(...error.issues);
  }
  for (const issue of serviceIssues(loaded.spec)) {
    issues.push({
      file: loaded.file,
      ...loaded.locate(issue.path, { atKey: issue.atKey === true }),
      path: formatPath(issue.path),
      message: issue.message,
    });
  }
  if (issues.length > 0 || compiled === undefined) throw new ConfigError(sortIssues(issues));
  return compiled;
}
