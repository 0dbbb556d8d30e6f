/**
 * Turns a StreamRecord into one ClickHouse row: the lineage key columns, then value fields per the `columns`
 * mapping, each coerced to its column's type as read from `system.columns` (epoch ms → DateTime text, objects →
 * JSON text for String columns, Avro arrays of records → Nested sub-columns), and encodes it as one line.
 */
import { ConfigError, PoisonRecordError } from "../core/errors.ts";
import type { StreamRecord } from "../processors/api.ts";
import { OUTPUT_INDEX_HEADER } from "./api.ts";

/** The idempotency key every sluice table is ordered by; a redelivered row replaces its earlier copy. */
export const LINEAGE_COLUMNS = ["source_topic", "source_partition", "source_offset", "output_index", "run_id"] as const;

/** Insert formats the sink can write. `TabSeparated` is the measured alternative to the JSONEachRow baseline. */
export type InsertFormat = "JSONEachRow" | "TabSeparated";

export interface ColumnInfo {
  name: string;
  /** ClickHouse type as `system.columns` spells it, e.g. `Nullable(DateTime('UTC'))`. */
  type: string;
  /** `DEFAULT`, `MATERIALIZED`, `ALIAS` or empty: columns with one are left to the server unless mapped. */
  default_kind?: string;
}

type Kind = "datetime" | "datetime64" | "string" | "array" | "number" | "other";

interface PlannedColumn {
  name: string;
  path: string[];
  nullable: boolean;
  kind: Kind;
  element: Kind;
  lineage: boolean;
}

function unwrap(type: string): { base: string; nullable: boolean } {
  let base = type;
  let nullable = false;
  for (;;) {
    const m = /^(Nullable|LowCardinality)\((.*)\)$/.exec(base);
    if (!m) return { base, nullable };
    if (m[1] === "Nullable") nullable = true;
    base = m[2] as string;
  }
}

function kindOf(base: string): Kind {
  if (base.startsWith("DateTime64")) return "datetime64";
  if (base.startsWith("DateTime")) return "datetime";
  if (base === "String" || base.startsWith("FixedString") || base.startsWith("Enum")) return "string";
  if (base.startsWith("Array(")) return "array";
  if (/^(U?Int|Float|Decimal)/.test(base)) return "number";
  return "other";
}

function coerce(value: unknown, kind: Kind, element: Kind): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "bigint") value = Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (value instanceof Date) value = value.getTime();
  switch (kind) {
    case "datetime":
    case "datetime64": {
      if (typeof value !== "number") return value;
      const iso = new Date(value).toISOString(); // RangeError on an impossible time: the row is bad data
      return iso.slice(0, kind === "datetime" ? 19 : 23).replace("T", " ");
    }
    case "string":
      if (typeof value === "string") return value;
      if (Buffer.isBuffer(value)) return value.toString("base64");
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    case "array":
      return Array.isArray(value) ? value.map((v) => coerce(v, element, "other")) : value;
    case "number":
      return typeof value === "boolean" ? Number(value) : value;
    default:
      return value;
  }
}

/** Reads `a.b.c`; an array met on the way is projected (`stages.name` → every stage's name). */
function readPath(value: unknown, path: readonly string[], from = 0): unknown {
  let current = value;
  for (let i = from; i < path.length; i++) {
    if (Array.isArray(current)) return current.map((item) => readPath(item, path, i));
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[path[i] as string];
  }
  return current;
}

/** The mapping from records to rows of one table, planned once at start from the table's columns. */
export class RowMapper {
  private readonly planned: PlannedColumn[];

  /**
   * @param columns the table's columns (`system.columns`); only these are written.
   * @param mapping column → dotted value path. @default each column reads the value field of its own name
   *   (a Nested sub-column `stages.name` reads `stages[].name`)
   */
  constructor(
    columns: readonly ColumnInfo[],
    mapping: Readonly<Record<string, string>> | undefined,
    private readonly runId: string,
    requireLineage = true,
  ) {
    const known = new Set(columns.map((c) => c.name));
    for (const column of Object.keys(mapping ?? {})) {
      if (!known.has(column)) throw new ConfigError(`column ${column} of the mapping is not in the table`);
    }
    this.planned = columns
      .filter((c) =>
        mapping === undefined ? !c.default_kind : c.name in mapping || LINEAGE_COLUMNS.includes(c.name as never),
      )
      .map((c) => {
        const { base, nullable } = unwrap(c.type);
        const inner = /^Array\((.*)\)$/.exec(base)?.[1];
        return {
          name: c.name,
          path: (mapping?.[c.name] ?? c.name).split("."),
          nullable,
          kind: kindOf(base),
          element: inner ? kindOf(unwrap(inner).base) : "other",
          lineage: LINEAGE_COLUMNS.includes(c.name as never),
        };
      });
    const missing = LINEAGE_COLUMNS.filter((name) => !known.has(name));
    if (requireLineage && missing.length > 0)
      throw new ConfigError(`the table lacks lineage columns ${missing.join(", ")}`);
  }

  get columnNames(): string[] {
    return this.planned.map((c) => c.name);
  }

  /** The row for a record, or a PoisonRecordError saying why it cannot be one. */
  toRow(record: StreamRecord): Record<string, unknown> {
    const header = record.headers[OUTPUT_INDEX_HEADER];
    const lineage: Record<string, unknown> = {
      source_topic: record.source.topic,
      source_partition: record.source.partition,
      source_offset: record.source.offset,
      output_index: header === undefined ? 0 : Number(String(header)),
      run_id: this.runId,
    };
    const value = record.value;
    const row: Record<string, unknown> = {};
    for (const column of this.planned) {
      let raw: unknown;
      if (column.lineage) raw = lineage[column.name];
      else if (value !== null && typeof value === "object") {
        const own = (value as Record<string, unknown>)[column.name];
        raw = own !== undefined || column.path.length === 1 ? own : readPath(value, column.path);
      }
      try {
        const coerced = coerce(raw, column.kind, column.element);
        if (coerced !== null || column.nullable) row[column.name] = coerced;
      } catch (error) {
        throw new PoisonRecordError(`column ${column.name}: ${(error as Error).message}`, { cause: error });
      }
    }
    return row;
  }

  /** One line of the insert body in `format`. */
  encode(row: Record<string, unknown>, format: InsertFormat): string {
    if (format === "JSONEachRow") return `${JSON.stringify(row)}\n`;
    return `${this.planned.map((c) => tsvField(row[c.name], c)).join("\t")}\n`;
  }
}

const TSV_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0" };
const tsvEscape = (text: string) => text.replace(/[\\\t\n\r\0]/g, (ch) => TSV_ESCAPES[ch] as string);
const quoted = (v: unknown): string =>
  typeof v === "string" ? `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : v === null ? "NULL" : String(v);

function tsvField(value: unknown, column: PlannedColumn): string {
  if (value === undefined || value === null) {
    if (column.nullable) return "\\N";
    return column.kind === "number"
      ? "0"
      : column.kind === "array"
        ? "[]"
        : column.kind.startsWith("datetime")
          ? "1970-01-01 00:00:00"
          : "";
  }
  if (Array.isArray(value)) return tsvEscape(`[${value.map(quoted).join(",")}]`);
  return tsvEscape(typeof value === "object" ? JSON.stringify(value) : String(value));
}
