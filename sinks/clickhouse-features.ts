/**
 * What the connected ClickHouse server can do, from `SELECT version()`: the DDL templates and the sink use
 * these flags so one code path serves Debian's 18.16 and current releases alike.
 */
import type { ClickHouseClient } from "@clickhouse/client";

/** Server features sluice uses only where present. */
export interface ClickHouseFeatures {
  /** `DateTime64(3, 'UTC')` (20.1+); otherwise `DateTime('UTC')`, second precision. */
  dateTime64: boolean;
  /** `LowCardinality(String)` enabled by default (19.9+). */
  lowCardinality: boolean;
  /** `Map(K, V)` without experimental settings (21.8+); otherwise maps are stored as JSON text. */
  map: boolean;
  /** The `insert_deduplication_token` setting (22.2+). */
  insertDeduplicationToken: boolean;
  /** `non_replicated_deduplication_window` on plain MergeTree tables (21.3+). */
  nonReplicatedDeduplication: boolean;
  /** `async_insert` with `wait_for_async_insert` (21.11+). */
  asyncInsert: boolean;
}

export interface ServerVersion {
  /** As the server reports it, e.g. `18.16.1`. */
  text: string;
  major: number;
  minor: number;
}

/** Parses `18.16.1` or `26.9.2.1`. Unparseable text counts as 0.0 (every feature off: the safe side). */
export function parseVersion(text: string): ServerVersion {
  const match = /^(\d+)\.(\d+)/.exec(text.trim());
  return { text: text.trim(), major: Number(match?.[1] ?? 0), minor: Number(match?.[2] ?? 0) };
}

const atLeast = (v: ServerVersion, major: number, minor: number) =>
  v.major > major || (v.major === major && v.minor >= minor);

export function featuresOf(version: ServerVersion): ClickHouseFeatures {
  return {
    dateTime64: atLeast(version, 20, 1),
    lowCardinality: atLeast(version, 19, 9),
    map: atLeast(version, 21, 8),
    insertDeduplicationToken: atLeast(version, 22, 2),
    nonReplicatedDeduplication: atLeast(version, 21, 3),
    asyncInsert: atLeast(version, 21, 11),
  };
}

/** Every feature on: the variant proven against current ClickHouse (chDB) in the tests. */
export const ALL_FEATURES: ClickHouseFeatures = featuresOf({ text: "99.0", major: 99, minor: 0 });

/** Asks the server for its version and derives the features. */
export async function detectServer(
  client: ClickHouseClient,
): Promise<{ version: ServerVersion; features: ClickHouseFeatures }> {
  const result = await client.query({ query: "SELECT version() AS v", format: "JSONEachRow" });
  const rows = await result.json<{ v: string }>();
  const version = parseVersion(rows[0]?.v ?? "");
  return { version, features: featuresOf(version) };
}

/** A string literal for SQL text: 18.16 has no query parameters, so values are inlined, escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A quoted identifier (`db`.`table` parts). */
export function sqlIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}
