/**
 * The `tools:` section of the spec (declared in processors/tools/tool-spec.ts, beside the tool processor) and its
 * checks when a topology is compiled: tool names unique, input/output JSON Schemas valid (ajv), module files
 * present, MCP transports with exactly one of `url` and `command`. Each problem is reported at its line:column.
 */
import { z } from "zod";
import type { ConfigError } from "../core/errors.ts";
import { toolModuleSpecifier } from "../processors/tools/module-transport.ts";
import { compileJsonSchema } from "../processors/tools/tool-handle.ts";
import { toolSpec } from "../processors/tools/tool-spec.ts";
import type { TopologySpec } from "./spec.ts";

export const toolsSpec = z.array(toolSpec).default([]);

type Report = (path: Array<string | number>, message: string) => void;

/** Reports every problem of the `tools:` section. */
export function checkTools(spec: TopologySpec, baseDir: string, report: Report): void {
  const seen = new Map<string, number>();
  spec.tools.forEach((tool, index) => {
    const at = (...rest: Array<string | number>) => ["tools", index, ...rest];
    const first = seen.get(tool.name);
    if (first !== undefined) report(at("name"), `tool "${tool.name}" is already declared at tools.${first}`);
    else seen.set(tool.name, index);
    for (const part of ["input", "output"] as const) {
      const schema = tool[part];
      if (schema === undefined) continue;
      try {
        compileJsonSchema(schema, part);
      } catch (error) {
        report(at(part), (error as ConfigError).issues?.[0]?.message ?? (error as Error).message);
      }
    }
    const transport = tool.transport;
    if (transport.type === "module") {
      try {
        toolModuleSpecifier(transport.module, baseDir);
      } catch (error) {
        report(at("transport", "module"), (error as ConfigError).issues?.[0]?.message ?? (error as Error).message);
      }
    }
    if (transport.type === "mcp" && (transport.url === undefined) === (transport.command === undefined)) {
      report(at("transport"), "an MCP transport needs exactly one of url (streamable HTTP) and command (stdio)");
    }
    if (tool.retry.maxDelayMs < tool.retry.initialDelayMs) {
      report(at("retry", "maxDelayMs"), "maxDelayMs is below initialDelayMs");
    }
  });
}
