/**
 * `sluice describe <file> [--format text|mermaid]`: prints a valid topology as a tree or a Mermaid diagram
 * (secrets redacted); an invalid one prints its problems and exits 1.
 */
import { ConfigError, formatIssue } from "../../core/errors.ts";
import { compileTopology } from "../../topologies/compiler.ts";
import { type DescribeFormat, describeTopology } from "../../topologies/describe.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";
import type { CommandResult } from "./validate.ts";

export interface DescribeOptions {
  /** @default "text" */
  format?: DescribeFormat | string;
  /** Variables for `${VAR}`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export function describeCommand(file: string, options: DescribeOptions = {}): CommandResult {
  const format = options.format ?? "text";
  if (format !== "text" && format !== "mermaid") {
    return { exitCode: 1, output: `sluice describe: unknown format "${format}" (text or mermaid)` };
  }
  try {
    const compiled = compileTopology(loadTopologyFile(file, options.env ? { env: options.env } : {}));
    return { exitCode: 0, output: describeTopology(compiled, format) };
  } catch (error) {
    if (error instanceof ConfigError) return { exitCode: 1, output: error.issues.map(formatIssue).join("\n") };
    return { exitCode: 1, output: (error as Error).message };
  }
}
