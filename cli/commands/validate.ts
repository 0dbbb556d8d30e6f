/**
 * `sluice validate <file...>`: loads and compiles each topology without starting anything, with the same checks
 * `sluice run` makes before it connects (services the topology needs included); exit 0 when all are valid, 1 with
 * every problem of every file (text, or `--json`).
 */
import { ConfigError, type ConfigIssue, formatIssue } from "../../core/errors.ts";
import { compileForRun } from "../../topologies/compiler-services.ts";
import { loadTopologyFile } from "../../topologies/yaml-loader.ts";

export interface ValidateOptions {
  /** Print a JSON report instead of text. @default false */
  json?: boolean;
  /** Variables for `${VAR}`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CommandResult {
  exitCode: number;
  output: string;
}

interface FileReport {
  file: string;
  valid: boolean;
  nodes?: number;
  issues: ConfigIssue[];
}

function validateFile(file: string, env: ValidateOptions["env"]): FileReport {
  try {
    const compiled = compileForRun(loadTopologyFile(file, env ? { env } : {}));
    return { file, valid: true, nodes: compiled.nodes.size, issues: [] };
  } catch (error) {
    if (error instanceof ConfigError) return { file, valid: false, issues: error.issues };
    return { file, valid: false, issues: [{ file, message: (error as Error).message }] };
  }
}

export function validateCommand(files: readonly string[], options: ValidateOptions = {}): CommandResult {
  if (files.length === 0) return { exitCode: 1, output: "sluice validate: name at least one topology file" };
  const reports = files.map((file) => validateFile(file, options.env));
  const exitCode = reports.every((r) => r.valid) ? 0 : 1;
  if (options.json) return { exitCode, output: JSON.stringify({ valid: exitCode === 0, files: reports }, null, 2) };
  const lines = reports.flatMap((r) =>
    r.valid
      ? [`${r.file}: valid (${r.nodes} nodes)`]
      : [...r.issues.map(formatIssue), `${r.file}: ${r.issues.length} problem${r.issues.length === 1 ? "" : "s"}`],
  );
  return { exitCode, output: lines.join("\n") };
}
