/**
 * Local-module tool transport: a TypeScript (or JS) module whose export is `(args, {idempotencyKey, signal}) =>
 * result` (or a promise). A thrown `PoisonRecordError` (or anything not retriable) rejects the call; a thrown
 * error flagged retriable (`TransientError`) is transient. Handy for stubbing tools in tests.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, isRetriable } from "../../core/errors.ts";
import type { ModuleTransportSpec } from "./tool-spec.ts";
import {
  type ListedSchemas,
  ToolRejectedError,
  type ToolRequest,
  type ToolTransport,
  unavailable,
} from "./transport.ts";

/** What a tool module exports. */
export type ToolFunction = (
  args: Record<string, unknown>,
  call: { idempotencyKey: string; signal: AbortSignal },
) => unknown;

/** The import specifier of `module` relative to `baseDir`; throws a ConfigError when the file is missing. */
export function toolModuleSpecifier(module: string, baseDir: string): string {
  if (!module.startsWith(".") && !isAbsolute(module)) return module;
  const path = resolve(baseDir, module);
  if (!existsSync(path))
    throw new ConfigError([{ path: "transport.module", message: `module file not found: ${path}` }]);
  return pathToFileURL(path).href;
}

export class ModuleTransport implements ToolTransport {
  private fn: ToolFunction | undefined;
  private readonly specifier: string;

  constructor(
    private readonly tool: string,
    private readonly spec: ModuleTransportSpec,
    baseDir: string,
  ) {
    this.specifier = toolModuleSpecifier(spec.module, baseDir);
  }

  async open(): Promise<ListedSchemas> {
    const loaded = (await import(this.specifier)) as Record<string, unknown>;
    const exported = loaded[this.spec.export];
    if (typeof exported !== "function") {
      throw new ConfigError(`tool ${this.tool}: ${this.spec.module} has no function export "${this.spec.export}"`);
    }
    this.fn = exported as ToolFunction;
    return {};
  }

  async call(request: ToolRequest): Promise<unknown> {
    if (this.fn === undefined) throw new Error(`tool ${this.tool} called before it was opened`);
    try {
      return await this.fn({ ...request.args }, { idempotencyKey: request.idempotencyKey, signal: request.signal });
    } catch (error) {
      if (isRetriable(error)) throw unavailable(this.tool, error);
      throw new ToolRejectedError(`tool ${this.tool}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async close(): Promise<void> {}
}
