/**
 * `sluice sql <file>`: runs one SQL file (e.g. analytics/queries/*.sql) against ClickHouse and renders
 * the result as an aligned text table, JSON rows or CSV with a header line.
 */
import { readFileSync } from "node:fs";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { statements } from "./template.ts";

export type SqlOutputFormat = "table" | "json" | "csv";

export interface RunSqlOptions {
  /** @default "table" */
  format?: SqlOutputFormat;
  /** @default "default" */
  database?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
}

/** The one statement of a SQL file, without `--` comment lines or a trailing `;`. */
export function readSqlFile(file: string): string {
  const found = statements(readFileSync(file, "utf8"));
  if (found.length !== 1) throw new Error(`${file}: expected one SQL statement, found ${found.length}`);
  return found[0] as string;
}

/** Renders rows as a text table: a header, a rule, numbers right-aligned. */
export function textTable(columns: readonly string[], rows: readonly unknown[][]): string {
  const cells = rows.map((row) =>
    row.map((v) => (v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v))),
  );
  const numeric = columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || /^-?\d+(\.\d+)?$/.test(String(r[i]))),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const footer = `(${rows.length} row${rows.length === 1 ? "" : "s"})`;
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line), footer].join("\n");
}

/** Runs the file's statement and returns the rendered result. */
export async function runSqlFile(url: string, file: string, options: RunSqlOptions = {}): Promise<string> {
  const query = readSqlFile(file);
  const client = createClient({
    url,
    username: options.username ?? "default",
    password: options.password ?? "",
    database: options.database ?? "default",
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const format = options.format ?? "table";
    if (format === "csv") return (await (await client.query({ query, format: "CSVWithNames" })).text()).trimEnd();
    if (format === "json") {
      const rows = await (await client.query({ query, format: "JSONEachRow" })).json();
      return JSON.stringify(rows, null, 2);
    }
    const result = await (await client.query({ query, format: "JSONCompact" })).json<unknown[]>();
    return textTable(result.meta?.map((m) => m.name) ?? [], result.data);
  } finally {
    await client.close();
  }
}
