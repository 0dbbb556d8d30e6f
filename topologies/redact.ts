/**
 * Secrets never reach a printout: the spec schema marks secret fields (`secret()` in spec.ts); this finds their
 * paths once and blanks them in any spec-shaped object (`describe`, `validate --json`, logs).
 */
import { z } from "zod";
import { topologySpec } from "./spec.ts";

export const REDACTED = "[redacted]";

interface Def {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  element?: unknown;
  options?: unknown[];
  valueType?: unknown;
}

/** Paths of secret fields, `*` standing for any list index or mapping key: `kafka.sasl.password`. */
export function secretPaths(schema: z.ZodType = topologySpec): string[] {
  const found = new Set<string>();
  const walk = (node: unknown, path: string[], depth: number): void => {
    if (depth > 40 || node === undefined) return;
    if ((z.globalRegistry.get(node as z.ZodType) as { secret?: boolean } | undefined)?.secret) {
      found.add(path.join("."));
    }
    const def = (node as { _zod: { def: Def } })._zod.def;
    switch (def.type) {
      case "object":
        for (const [key, child] of Object.entries((node as { shape: Record<string, unknown> }).shape)) {
          walk(child, [...path, key], depth + 1);
        }
        break;
      case "array":
        walk(def.element, [...path, "*"], depth + 1);
        break;
      case "record":
        walk(def.valueType, [...path, "*"], depth + 1);
        break;
      case "union":
        for (const option of def.options ?? []) walk(option, path, depth + 1);
        break;
      case "optional":
      case "default":
      case "prefault":
      case "nullable":
        walk(def.innerType, path, depth + 1);
        break;
      case "pipe":
        walk(def.in, path, depth + 1);
        break;
    }
  };
  walk(schema, [], 0);
  return [...found].sort();
}

let cached: string[][] | undefined;

function matches(pattern: string[], path: string[]): boolean {
  return pattern.length === path.length && pattern.every((part, i) => part === "*" || part === path[i]);
}

/** A deep copy of `value` (a spec or part of one at `basePath`) with every secret field replaced. */
export function redact<T>(value: T, basePath: string[] = []): T {
  cached ??= secretPaths().map((p) => p.split("."));
  const patterns = cached;
  const copy = (node: unknown, path: string[]): unknown => {
    if (path.length > 0 && node !== undefined && patterns.some((p) => matches(p, path))) return REDACTED;
    if (Array.isArray(node)) return node.map((item, i) => copy(item, [...path, String(i)]));
    if (node !== null && typeof node === "object" && !Buffer.isBuffer(node)) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, copy(v, [...path, k])]));
    }
    return node;
  };
  return copy(value, basePath) as T;
}
