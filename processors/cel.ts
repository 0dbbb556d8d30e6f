/**
 * CEL expressions for filter predicates, map projections, branch conditions and decide rules, through
 * `@marcbachmann/cel-js` (chosen over `@bufbuild/cel` in ops/bench/cel-compare.ts). Expressions compile once;
 * syntax errors and fields the input Avro schema lacks surface as `ExpressionIssue`s carrying their offset.
 */
import { Environment } from "@marcbachmann/cel-js";
import { ConfigError, type ConfigIssue, PoisonRecordError } from "../core/errors.ts";
import type { StreamRecord } from "./api.ts";
import { type AvroTypeLike, checkFieldReferences, toAvroType } from "./cel-fields.ts";

export { toAvroType };

/** A config issue inside an expression: `offset` is the 0-based character offset of the problem in the text. */
export interface ExpressionIssue extends ConfigIssue {
  offset: number;
}

/** The variables an expression sees: the record's parts and its lineage. */
export interface ExpressionVariables {
  value: unknown;
  key: unknown;
  headers: Record<string, unknown>;
  timestamp: bigint;
  topic: string;
  partition: bigint;
  offset: bigint;
}

export interface CompiledExpression {
  readonly source: string;
  /** Evaluates against variables already converted with `recordVariables`; returns a plain JS value. */
  evaluate(variables: ExpressionVariables): unknown;
}

const environment = new Environment({
  unlistedVariablesAreDyn: false,
  enableOptionalTypes: true,
  homogeneousAggregateLiterals: false,
})
  .registerVariable("value", "dyn")
  .registerVariable("key", "dyn")
  .registerVariable("headers", "map")
  .registerVariable("timestamp", "int")
  .registerVariable("topic", "string")
  .registerVariable("partition", "int")
  .registerVariable("offset", "int");

/** The record's variables plus `agent` ({id, version, capabilities}): what a route's `match` sees. */
const agentEnvironment = environment.clone().registerVariable("agent", "map");

/** Which variables an expression may use: the record's, or the record's and `agent`. */
export type ExpressionScope = "record" | "agent";

interface CelErrorLike {
  message: string;
  node?: { pos?: number };
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.trim() ?? message;
}

/**
 * Parses and type-checks `source`, and when `inputSchema` (an Avro schema) is given checks every `value.x.y`
 * it references exists. Throws a `ConfigError` whose issues are `ExpressionIssue`s with `path` = `configPath`.
 */
export function compileExpression(
  source: string,
  configPath: string,
  inputSchema?: unknown,
  scope: ExpressionScope = "record",
): CompiledExpression {
  let parsed: ReturnType<typeof environment.parse>;
  try {
    parsed = (scope === "agent" ? agentEnvironment : environment).parse(source);
  } catch (error) {
    const e = error as CelErrorLike;
    throw new ConfigError([expressionIssue(configPath, e.node?.pos ?? 0, `invalid CEL: ${firstLine(e.message)}`)]);
  }
  const checked = parsed.check();
  if (!checked.valid) {
    const e = checked.error as CelErrorLike;
    throw new ConfigError([expressionIssue(configPath, e.node?.pos ?? 0, `invalid CEL: ${firstLine(e.message)}`)]);
  }
  if (inputSchema !== undefined) {
    const problems = checkFieldReferences(parsed.ast, inputSchema);
    if (problems.length > 0) {
      throw new ConfigError(problems.map((p) => expressionIssue(configPath, p.offset, p.message)));
    }
  }
  return {
    source,
    evaluate: (variables) => {
      try {
        return fromCel(parsed(variables as unknown as Record<string, unknown>));
      } catch (error) {
        throw new PoisonRecordError(`evaluating ${JSON.stringify(source)}: ${firstLine(describe(error))}`, {
          cause: error,
        });
      }
    },
  };
}

/** Compiles several expressions, reporting every problem at once. */
export function compileExpressions(
  entries: ReadonlyArray<readonly [configPath: string, source: string]>,
  inputSchema?: unknown,
): CompiledExpression[] {
  const issues: ConfigIssue[] = [];
  const compiled: CompiledExpression[] = [];
  for (const [path, source] of entries) {
    try {
      compiled.push(compileExpression(source, path, inputSchema));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return compiled;
}

function expressionIssue(path: string, offset: number, message: string): ExpressionIssue {
  return { path, offset, message };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The variables for one record. With the value's Avro type known, `int`/`long` fields become CEL `int` and
 * `float`/`double` fields CEL `double`; without it integral JS numbers become `int`, others `double`.
 */
export function recordVariables(record: StreamRecord, valueType?: AvroTypeLike): ExpressionVariables {
  return {
    value: valueType === undefined ? toCel(record.value) : toCelTyped(record.value, valueType),
    key: toCel(record.key),
    headers: (toCel(record.headers) ?? {}) as Record<string, unknown>,
    timestamp: BigInt(Math.trunc(record.timestamp)),
    topic: record.source.topic,
    partition: BigInt(record.source.partition),
    offset: BigInt(record.source.offset),
  };
}

/** JS → CEL values: integral numbers → bigint, Buffers → Uint8Array, undefined fields dropped. */
export function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== "object") return value === undefined ? null : value;
  if (Buffer.isBuffer(value)) return new Uint8Array(value);
  if (value instanceof Uint8Array || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(toCel);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCel(v);
  return out;
}

const NUMERIC = new Set(["int", "long", "float", "double"]);

function unionBranch(value: unknown, branches: AvroTypeLike[]): AvroTypeLike | undefined {
  const kind = typeof value;
  return branches.find((t) => {
    if (kind === "number") return NUMERIC.has(t.typeName);
    if (kind === "string") return t.typeName === "string" || t.typeName === "enum";
    if (Array.isArray(value)) return t.typeName === "array";
    if (kind === "object" && value !== null && !Buffer.isBuffer(value))
      return t.typeName === "record" || t.typeName === "map";
    return false;
  });
}

/** JS → CEL guided by the Avro type, so a `double` field holding 20 stays a CEL double. */
export function toCelTyped(value: unknown, type: AvroTypeLike): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeName) {
    case "int":
    case "long":
      return toCel(value);
    case "float":
    case "double":
      return value;
    case "array":
      return Array.isArray(value) && type.itemsType ? value.map((v) => toCelTyped(v, type.itemsType!)) : toCel(value);
    case "map": {
      if (typeof value !== "object" || !type.valuesType) return toCel(value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toCelTyped(v, type.valuesType);
      return out;
    }
    case "record":
    case "error": {
      if (typeof value !== "object" || Array.isArray(value)) return toCel(value);
      const fields = new Map((type.fields ?? []).map((f) => [f.name, f.type]));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        const fieldType = fields.get(k);
        out[k] = fieldType ? toCelTyped(v, fieldType) : toCel(v);
      }
      return out;
    }
    default: {
      if (!type.typeName.startsWith("union")) return toCel(value);
      const branch = unionBranch(value, type.types ?? []);
      return branch ? toCelTyped(value, branch) : toCel(value);
    }
  }
}

/** CEL → JS values: bigints → numbers (when safe), Maps → objects, bytes → Buffer. */
export function fromCel(value: unknown): unknown {
  if (typeof value === "bigint") {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = fromCel(v);
  return out;
}

/** Evaluates a predicate; anything but a boolean is bad data for this record. */
export function evaluatePredicate(expression: CompiledExpression, variables: ExpressionVariables): boolean {
  const result = expression.evaluate(variables);
  if (typeof result !== "boolean") {
    throw new PoisonRecordError(`${JSON.stringify(expression.source)} gave ${JSON.stringify(result)}, not a boolean`);
  }
  return result;
}
