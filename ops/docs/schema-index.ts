/**
 * Finds where each config schema is declared: imports the modules that hold zod schemas and pairs every exported
 * schema instance (by identity) with the TSDoc of its declaration, so the reference needs no hand-kept list.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ExportDocs, ModuleDocs } from "./tsdoc.ts";
import { readModuleDocs } from "./tsdoc.ts";

/** Folders and files whose modules declare the schemas the topology spec composes. */
const SCHEMA_HOMES = ["topologies/spec.ts", "topologies/agents.ts", "schemas", "sinks", "processors"];

export interface Declared {
  /** Repository-relative file, `/`-separated. */
  file: string;
  name: string;
  docs: ExportDocs;
  module: ModuleDocs;
}

export interface SchemaIndex {
  /** The declaration of an exported value (a zod schema or a processor definition), by identity. */
  find(value: unknown): Declared | undefined;
}

function moduleFiles(root: string): string[] {
  const files: string[] = [];
  for (const home of SCHEMA_HOMES) {
    const full = path.join(root, home);
    if (home.endsWith(".ts")) files.push(home);
    else
      for (const entry of readdirSync(full).sort()) {
        if (entry.endsWith(".ts") && !entry.endsWith(".d.ts")) files.push(`${home}/${entry}`);
      }
  }
  // Only modules that use zod can declare a config schema; the rest are not imported.
  return files.filter((file) => /from "zod"/.test(readFileSync(path.join(root, file), "utf8")));
}

export async function buildSchemaIndex(root: string): Promise<SchemaIndex> {
  const byValue = new Map<unknown, Declared>();
  for (const file of moduleFiles(root)) {
    const full = path.join(root, file);
    const module = readModuleDocs(full);
    const loaded = (await import(pathToFileURL(full).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(loaded)) {
      const docs = module.exports.get(name);
      if (docs === undefined || value === null || typeof value !== "object" || byValue.has(value)) continue;
      byValue.set(value, { file, name, docs, module });
    }
  }
  return { find: (value) => byValue.get(value) };
}
