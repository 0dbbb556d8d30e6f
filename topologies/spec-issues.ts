/**
 * Validates an object against the topology spec and turns zod's issues into `expected …, got …` messages with
 * spec paths (one issue per unknown key, with a "did you mean"). Positions are added by the caller.
 */
import type { z } from "zod";
import { closest, didYouMean } from "../processors/did-you-mean.ts";
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

/** Characters of the input an error message quotes at most. */
export const EXCERPT_LENGTH = 60;

/**
 * A short, escaped, quoted excerpt of input text for an error message: at most `max` characters, control bytes
 * and anything unprintable as `\uXXXX`, and the full length said when cut. A 5 MB scalar or binary garbage in a
 * topology must never be echoed back whole.
 */
export function excerpt(text: string, max = EXCERPT_LENGTH): string {
  const chars = Array.from(text.length > max * 2 ? text.slice(0, max * 2) : text);
  const cut = chars.length > max;
  const shown = JSON.stringify(chars.slice(0, max).join("")).replace(
    /[^\x20-\x7e\u00a0-\ud7ff\ue000-\ufffc]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
  return cut ? `${shown.slice(0, -1)}…" (${text.length} characters)` : shown;
}

/** A user-facing rendering of an input value. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (value !== null && typeof value === "object") return "a mapping";
  return typeof value === "string" ? excerpt(value) : String(value);
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

/** What `explain` learns beyond the message: the keys an object accepts, a misspelt discriminator key. */
interface Findings {
  /** Spec path (JSON) → the keys the object there accepts, for unknown-key suggestions. */
  knownKeys: Map<string, string[]>;
  /** Spec path (JSON) → the key of that item that is a misspelling of its discriminator (`tpye:`). */
  misspeltDiscriminator: Map<string, { key: string; discriminator: string }>;
}

function explain(iss: RawIssue, found: Findings): string {
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
      if (got === undefined) {
        const keys = input !== null && typeof input === "object" ? Object.keys(input) : [];
        const key = keys.find((k) => closest(k, [discriminator]) === discriminator);
        if (key !== undefined) found.misspeltDiscriminator.set(JSON.stringify(iss.path ?? []), { key, discriminator });
        return `expected ${expected}, got nothing`;
      }
      const section = (iss.path ?? [])[0];
      const what = discriminator !== "type" ? discriminator : section === "sinks" ? "sink type" : "processor type";
      return `unknown ${what} ${show(got)}${didYouMean(String(got), options)} (expected ${expected})`;
    }
    case "unrecognized_keys":
      found.knownKeys.set(JSON.stringify(iss.path ?? []), Object.keys((iss.inst as ZodLike).shape ?? {}));
      return "unknown keys";
    default:
      return iss.message ?? "is not valid";
  }
}

/** Validates and applies defaults; never throws for bad input. */
export function validateSpec(input: unknown): SpecResult {
  const found: Findings = { knownKeys: new Map(), misspeltDiscriminator: new Map() };
  const result = topologySpec.safeParse(input, { error: (iss) => explain(iss as RawIssue, found) });
  if (result.success) return { ok: true, spec: result.data };
  const issues: SpecIssue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    if (issue.code === "unrecognized_keys") {
      const known = found.knownKeys.get(JSON.stringify(path)) ?? [];
      for (const key of issue.keys) {
        issues.push({
          path: [...path, key],
          atKey: true,
          message: `unknown key ${excerpt(key)}${didYouMean(key, known)}`,
        });
      }
    } else if (found.misspeltDiscriminator.has(JSON.stringify(path))) {
      // `tpye: filter`: the union cannot pick a type, so say what is wrong with the key, where the key is.
      const { key, discriminator } = found.misspeltDiscriminator.get(JSON.stringify(path))!;
      const item = path.at(-1) === discriminator ? path.slice(0, -1) : path;
      issues.push({
        path: [...item, key],
        atKey: true,
        message: `unknown key ${excerpt(key)}, did you mean "${discriminator}"?`,
      });
    } else {
      issues.push({ path, message: issue.message });
    }
  }
  return { ok: false, issues };
}
