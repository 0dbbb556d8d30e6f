/**
 * Proves the modern variant of the DDL and every analytics query on current ClickHouse, embedded by chDB (PyPI
 * `chdb`, run through ops/clickhouse/chdb_check.py): migrations rendered with every feature on, rows mapped by
 * the sink's own RowMapper, a redelivered batch, then each query must return rows. Skipped without chdb.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { confusionSql, precisionRecallSql, shadowComparisonSql, summarySql } from "../../analytics/eval-queries.ts";
import { renderMigrations } from "../../analytics/migrate.ts";
import { readSqlFile } from "../../analytics/sql.ts";
import { decisionRecords } from "../../ops/clickhouse/sample-decisions.ts";
import { StreamRecord } from "../../processors/api.ts";
import { ALL_FEATURES } from "../../sinks/clickhouse-features.ts";
import { type ColumnInfo, RowMapper } from "../../sinks/clickhouse-rows.ts";

const QUERIES_DIR = join(import.meta.dirname, "../../analytics/queries");
const SCRIPT = join(import.meta.dirname, "../../ops/clickhouse/chdb_check.py");

function hasChdb(): boolean {
  try {
    execFileSync("python3", ["-c", "import chdb"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface ChdbResult {
  rows?: Record<string, unknown>[];
  ok?: boolean;
  error?: string;
}

const session = mkdtempSync(join(tmpdir(), "sluice-chdb-"));

/** Runs statements in one persistent chDB session (all in `sluice` database). */
function chdb(statements: { sql: string; rows?: boolean }[]): { version: string; results: ChdbResult[] } {
  const input = JSON.stringify([{ sql: "CREATE DATABASE IF NOT EXISTS sluice" }, { sql: "USE sluice" }, ...statements]);
  const out = execFileSync("python3", [SCRIPT, session], { input, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
  const parsed = JSON.parse(out) as { version: string; results: ChdbResult[] };
  return { version: parsed.version, results: parsed.results.slice(2) };
}

const record = (topic: string, offset: number, value: Record<string, unknown>) =>
  new StreamRecord(null, value, { "sluice-output-index": "0" }, Date.now(), { topic, partition: 0, offset });

const at = Date.UTC(2025, 0, 6, 9, 30, 0);
const samples: Record<string, StreamRecord[]> = {
  agent_decisions: decisionRecords("enterprise-events", 0, 0, 500),
  dead_letters: [0, 1, 2].map((i) =>
    record("enterprise-events", 1000 + i, {
      application_id: "support-triage",
      processor: i === 2 ? "sink:clickhouse" : "decode",
      error_class: "PoisonRecordError",
      reason: `decoding enterprise-events/0@${1000 + i}: unknown schema id 17`,
      record_key: null,
      raw_value: Buffer.from("not avro"),
      headers: { "sluice-output-index": "0" },
      record_time: at,
      failed_at: at + 5,
    }),
  ),
  decision_outcomes: [0, 1, 2].map((i) =>
    record("ticket-outcomes", i, {
      decision_id: `enterprise-events/0@${i}#live`,
      outcome_id: `o${i}`,
      tenant_id: `tenant-${i}`,
      outcome: "resolved",
      actual_decision: "auto_resolve",
      outcome_time: at + 60_000,
      outcome_ms: at + 60_000,
      joined: 0,
      time_to_outcome_ms: null,
    }),
  ),
  pipeline_metrics: [0, 1].map((i) =>
    record("metrics", i, {
      application_id: "support-triage",
      run_id: "live",
      host: "ci",
      task_id: "enterprise-events-0",
      source_topic: "enterprise-events",
      source_partition: 0,
      interval_start: at + i * 10_000,
      interval_ms: 10_000,
      records_in: 640,
      records_out: i === 1 ? 0 : 640,
      dead_lettered: 1,
      batches: 10,
      batch_size_avg: 64,
      batch_size_max: 64,
      "stages.name": ["embed", "infer"],
      "stages.p50_ms": [3, 2],
      "stages.p95_ms": [5, 3],
      "stages.p99_ms": [9, 4],
      consumer_lag: 12 + i * 640,
      inference_backend: "tfjs-node",
      paused: i,
      pause_reason: i === 1 ? "writing to clickhouse: circuit open" : "",
      backpressure_waits: i,
    }),
  ),
};

describe.skipIf(!hasChdb())("ClickHouse DDL and queries on current ClickHouse (chDB)", () => {
  afterAll(() => rmSync(session, { recursive: true, force: true }));

  it("applies the all-features DDL, takes the sink's rows and answers every query with rows", () => {
    const ddl = chdb(renderMigrations(ALL_FEATURES).map((sql) => ({ sql })));
    expect(ddl.results.filter((r) => r.error)).toEqual([]);
    const [columnsResult] = chdb([
      {
        sql: "SELECT table, name, type, default_kind FROM system.columns WHERE database = 'sluice' ORDER BY table",
        rows: true,
      },
    ]).results;
    const columns = (columnsResult?.rows ?? []) as unknown as (ColumnInfo & { table: string })[];
    const typeOf = (table: string, name: string) => columns.find((c) => c.table === table && c.name === name)?.type;
    expect(typeOf("agent_decisions", "tenant_id")).toBe("LowCardinality(String)");
    expect(typeOf("agent_decisions", "event_time")).toBe("DateTime64(3, 'UTC')");
    expect(typeOf("agent_decisions", "scores")).toBe("Map(String, Float32)");

    const inserts = Object.entries(samples).map(([table, records]) => {
      const mapper = new RowMapper(
        columns.filter((c) => c.table === table),
        undefined,
        "live",
        table !== "pipeline_metrics",
      );
      const lines = records.map((r) => mapper.encode(mapper.toRow(r), "JSONEachRow")).join("");
      const list = mapper.columnNames.map((c) => `\`${c}\``).join(", ");
      return { sql: `INSERT INTO ${table} (${list}) FORMAT JSONEachRow\n${lines}` };
    });
    // The decisions twice: a redelivered batch must not double count.
    const inserted = chdb([...inserts, inserts[0] as { sql: string }]);
    expect(inserted.results.filter((r) => r.error)).toEqual([]);

    const files = readdirSync(QUERIES_DIR).filter((f) => f.endsWith(".sql"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const counted = chdb([
      { sql: "SELECT count() AS n FROM agent_decisions FINAL", rows: true },
      ...files.map((f) => ({ sql: readSqlFile(join(QUERIES_DIR, f)), rows: true })),
    ]);
    expect(counted.version).toMatch(/^2\d\./);
    expect(counted.results[0]?.rows?.[0]?.n).toBe(500);
    files.forEach((file, i) => {
      const result = counted.results[i + 1];
      expect({ file, error: result?.error }).toEqual({ file, error: undefined });
      expect(result?.rows?.length, file).toBeGreaterThan(0);
    });
    // Online evaluation (decision_eval view) and the shadow comparison (rows the materialized view copied).
    const by = ["model", "variant", "agent", "tenant", "day"] as const;
    const evaluated = chdb(
      [
        summarySql({}, by, { dateTime64: true }),
        precisionRecallSql({}, ["model"], { dateTime64: true }),
        confusionSql({}, [], { dateTime64: true }),
        shadowComparisonSql({}),
      ].map((sql) => ({ sql, rows: true })),
    );
    for (const result of evaluated.results) {
      expect(result.error).toBeUndefined();
      expect(result.rows?.length).toBeGreaterThan(0);
    }
    const summed = evaluated.results[0]?.rows ?? [];
    expect(summed.reduce((n, r) => n + Number(r.with_outcome), 0)).toBe(3);
    expect(summed.reduce((n, r) => n + Number(r.decisions), 0)).toBe(500);
  });
});
