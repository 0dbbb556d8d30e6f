/**
 * `custom`: a user's own processor, loaded from a module path and export name. The export is a definition made
 * with `defineProcessor` (its `config` schema validates `options`), a factory `(options, env) => Processor`, or a
 * Processor object. The module must exist when the topology is built; it is imported when the processor is
 * initialised.
 */
import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { BatchError, ConfigError, isRetriable } from "../core/errors.ts";
import type { Processor, ProcessorEnvironment, StreamRecord } from "./api.ts";
import { defineProcessor, type ProcessorDefinition } from "./define.ts";

export const customConfig = z.strictObject({
  /** Module path (relative to the topology file's folder) or package name. */
  module: z.string().min(1),
  /** Export to use. @default "default" */
  export: z.string().min(1).default("default"),
  /** Passed to the factory as its first argument (validated by the definition's `config`, when it is one). @default {} */
  options: z.record(z.string(), z.unknown()).default({}),
});
export type CustomConfig = z.infer<typeof customConfig>;

function moduleSpecifier(module: string, baseDir: string): string {
  if (!module.startsWith(".") && !isAbsolute(module)) return module;
  const path = resolve(baseDir, module);
  if (!existsSync(path)) throw new ConfigError([{ path: "module", message: `module file not found: ${path}` }]);
  return pathToFileURL(path).href;
}

/** A `defineProcessor` result: an object with a config schema and a factory. */
function isDefinition(value: unknown): value is ProcessorDefinition {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<ProcessorDefinition>;
  return typeof candidate.create === "function" && typeof candidate.config?.safeParse === "function";
}

async function loadProcessor(config: CustomConfig, env: ProcessorEnvironment, specifier: string): Promise<Processor> {
  const loaded = (await import(specifier)) as Record<string, unknown>;
  const exported = loaded[config.export];
  if (isDefinition(exported)) {
    const options = exported.config.safeParse(config.options);
    if (!options.success) {
      const issues = options.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
      throw new ConfigError(issues.map((i) => ({ ...i, message: `${config.module}#${config.export}: ${i.message}` })));
    }
    return exported.create(options.data, env);
  }
  if (typeof exported === "function")
    return (exported as (o: unknown, e: ProcessorEnvironment) => Processor)(config.options, env);
  if (typeof exported === "object" && exported !== null) return exported as Processor;
  const known = Object.keys(loaded).sort().join(", ") || "none";
  const message =
    exported === undefined
      ? `${config.module} has no export "${config.export}" (exports: ${known})`
      : `${config.module}#${config.export} is neither a processor factory nor a processor`;
  throw new ConfigError([{ path: "export", message }]);
}

export const customProcessor = defineProcessor({
  type: "custom",
  summary: "a user processor loaded from a module",
  config: customConfig,
  create: (config, env): Processor => {
    const specifier = moduleSpecifier(config.module, env.baseDir);
    let inner: Processor;
    return {
      async init(ctx) {
        inner = await loadProcessor(config, env, specifier);
        if (!inner.process && !inner.processBatch) {
          throw new ConfigError([
            { path: "export", message: `${config.module}#${config.export} has neither process nor processBatch` },
          ]);
        }
        await inner.init?.(ctx);
      },
      async processBatch(records: readonly StreamRecord[]) {
        if (inner.processBatch) return inner.processBatch(records);
        const failed = new BatchError(`${config.module}#${config.export} failed on some records`);
        for (const [i, record] of records.entries()) {
          try {
            await inner.process!(record);
          } catch (error) {
            if (isRetriable(error) || !(error instanceof Error)) throw error;
            failed.failed(i, error);
          }
        }
        if (failed.failures.size > 0) throw failed;
      },
      async close() {
        await inner?.close?.();
      },
    };
  },
});
