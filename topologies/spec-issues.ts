/**
 * Validates an object against the topology spec and turns zod's issues into `expected …, got …` messages with
 * spec paths (one issue per unknown key, with a "did you mean"). Positions are added by the caller.
 */
import type { z } from "zod";
import { didYouMean } from "../processors/did-you-mean.ts";
import { type TopologySpec, topologySpec } from "./spec.ts";

/** A spec problem; `atKey` means the position is the offending key itself, not its value. */
export interface SpecIssue {
  path: Array<string | number>;
  message: string;
  atKey?: boolean;
}

export type SpecResult = { ok: true; spec: TopologySpec } | { ok: false; issues: SpecIssue[] };

interface ZodDef {
  type: string;
  checks?: Array<{ _zod: { def: { check: string; value?: unknown; inclusive?: boolean; minimum?: number } } }>;
  innerType?: ZodLike;
  in?: ZodLike;
  element?: ZodLike;
  options?: ZodLike[];
  entries?: Record<string, unknown>;
  values?: unknown[];
  format?: string;
}
interface ZodLike {
  _zod: { def: ZodDef };
  shape?: Record<string, unknown>;
}

/** `processors[3].enrich.topK` from a path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

/** `routes[0].when` → ["routes", 0, "when"]. */
export function parsePath(path: string): Array<string | number> {
  return path
    .split(/\.|(?=\[)/)
    .filter(Boolean)
    .map((part) => (/^\[\d+\]$/.test(part) ? Number(part.slice(1, -1)) : part));
}

/** A user-facing rendering of an input value. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}

function numberWords(def: ZodDef): string {
  const isInt =
    def.format === "safeint" || def.format === "int32" || def.checks?.some((c) => c._zod.def.check === "number_format");
  const noun = isInt ? "integer" : "number";
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    if (c.check === "greater_than" && c.value === 0)
      return c.inclusive ? `a non-negative ${noun}` : `a positive ${noun}`;
    if (c.check === "greater_than") return `${isInt ? "an integer" : "a number"} ${c.inclusive ? "≥" : ">"} ${c.value}`;
  }
  return isInt ? "an integer" : "a number";
}

/** What a schema accepts, in words: "a positive integer", "one of "a" | "b"", "a string or a list". */
export function describeSchema(schema: unknown): string {
  const def = (schema as ZodLike | undefined)?._zod?.def;
  if (def === undefined) return "a value";
  switch (def.type) {
    case "string":
      if (def.format === "url") return "a URL";
      return def.checks?.some((c) => c._zod.def.check === "min_length") ? "a non-empty string" : "a string";
    case "number":
      return numberWords(def);
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(" | ")}`;
    case "literal":
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(" | ");
    case "array":
      return `a list of ${describeSchema(def.element).replace(/^an? /, "")}s`.replace(/ss$/, "s");
    case "object":
    case "record":
      return "a mapping";
    case "union":
      return [...new Set((def.options ?? []).map(describeSchema))].join(" or ");
    case "optional":
    case "default":
    case "prefault":
    case "nullable":
      return describeSchema(def.innerType);
    case "pipe":
      return describeSchema(def.in);
    default:
      return "a value";
  }
}

type RawIssue = z.core.$ZodRawIssue & { inst?: unknown; input?: unknown };

function explain(iss: RawIssue, knownKeys: Map<string, string[]>): string {
  const input = iss.input;
  switch (iss.code) {
    case "invalid_type":
      return `expected ${describeSchema(iss.inst)}, got ${show(input)}`;
    case "invalid_value": {
      const values = (iss.values ?? []) as unknown[];
      const hint = typeof input === "string" ? didYouMean(input, values.map(String)) : "";
      return `expected ${values.map((v) => JSON.stringify(v)).join(" | ")}, got ${show(input)}${hint}`;
    }
    case "invalid_format":
      if (iss.format === "regex") return `expected a name of letters, digits, ".", "_" or "-", got ${show(input)}`;
      return `expected ${iss.format === "url" ? "a URL" : `a ${iss.format}`}, got ${show(input)}`;
    case "too_small": {
      const min = Number(iss.minimum);
      if (iss.origin === "string") return `expected a non-empty string, got ${show(input)}`;
      if (iss.origin === "array")
        return `expected at least ${min} item${min === 1 ? "" : "s"}, got ${(input as unknown[]).length}`;
      const words = min === 0 && !iss.inclusive ? "a positive number" : `a number ${iss.inclusive ? "≥" : ">"} ${min}`;
      return `expected ${words}, got ${show(input)}`;
    }
    case "too_big":
      return `expected at most ${String(iss.maximum)}, got ${show(input)}`;
    case "invalid_union": {
      const discriminator = (iss as { discriminator?: string }).discriminator;
      const options = ((iss as { options?: unknown[] }).options ?? []).map(String);
      if (discriminator === undefined) return `expected ${describeSchema(iss.inst)}, got ${show(input)}`;
      const got = (input as Record<string, unknown> | undefined)?.[discriminator];
      const expected = options.map((o) => JSON.stringify(o)).join(" | ");
      if (got === undefined) return `expected ${expected}, got nothing`;
      const section = (iss.path ?? [])[0];
      const what = discriminator !== "type" ? discriminator : section === "sinks" ? "sink type" : "processor type";
      return `unknown ${what} ${show(got)}${didYouMean(String(got), options)} (expected ${expected})`;
    }
    case "unrecognized_keys":
      knownKeys.set(JSON.stringify(iss.path ?? []), Object.keys((iss.inst as ZodLike).shape ?? {}));
      return "unknown keys";
    default:
      return iss.message ?? "is not valid";
  }
}

/** Validates and applies defaults; never throws for bad input. */
export function validateSpec(input: unknown): SpecResult {
  const knownKeys = new Map<string, string[]>();
  const result = topologySpec.safeParse(input, { error: (iss) => explain(iss as RawIssue, knownKeys) });
  if (result.success) return { ok: true, spec: result.data };
  const issues: SpecIssue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys.get(JSON.stringify(path)) ?? [];
      for (const key of issue.keys) {
        issues.push({
          path: [...path, key],
          atKey: true,
          message: `unknown key ${JSON.stringify(key)}${didYouMean(key, known)}`,
        });
      }
    } else {
      issues.push({ path, message: issue.message });
    }
  }
  return { ok: false, issues };
}
