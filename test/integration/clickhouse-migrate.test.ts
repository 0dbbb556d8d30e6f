/**
 * `sluice migrate` and `sluice sql` against the real local server (Debian 18.16 from the stack): migrations are
 * idempotent and recorded; the analytics queries run through the CLI commands. Own database, dropped at the end.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createClient } from "@clickhouse/client";
import { afterAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../analytics/migrate.ts";
import { migrateCommand } from "../../cli/commands/migrate.ts";
import { sqlCommand } from "../../cli/commands/sql.ts";
import { decisionRecords } from "../../ops/clickhouse/sample-decisions.ts";
import { ClickHouseSink, clickhouseSinkConfig } from "../../sinks/clickhouse.ts";

const url = process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
const database = `t_${randomBytes(4).toString("hex")}`;
const admin = createClient({ url });
const queries = join(import.meta.dirname, "../../analytics/queries");

describe("ClickHouse migrations and SQL on the local server", () => {
  afterAll(async () => {
    await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await admin.close();
  });

  it("applies every migration once, records it, and skips all of them the second time", async () => {
    const expected = loadMigrations().map((m) => m.name);
    const first = await migrate(url, { database });
    expect(first.migrations.map((m) => [m.name, m.status])).toEqual(expected.map((name) => [name, "applied"]));
    const second = await migrate(url, { database });
    expect(second.migrations.map((m) => m.status)).toEqual(expected.map(() => "skipped"));
    const cli = await migrateCommand({ url, database });
    expect(cli.exitCode).toBe(0);
    expect(cli.output).toMatch(/skipped\s+0001_agent_decisions/);

    const recorded = await (
      await admin.query({
        query: `SELECT version, name FROM ${database}.sluice_migrations FINAL ORDER BY version`,
        format: "JSONEachRow",
      })
    ).json<{ version: number; name: string }>();
    expect(recorded.map((r) => r.name)).toEqual(expected);
    const tables = await (
      await admin.query({
        query: `SELECT name, engine FROM system.tables WHERE database = '${database}' ORDER BY name`,
        format: "JSONEachRow",
      })
    ).json<{ name: string; engine: string }>();
    expect(tables).toEqual([
      { name: "agent_decisions", engine: "ReplacingMergeTree" },
      { name: "audit_log", engine: "ReplacingMergeTree" },
      { name: "dead_letters", engine: "ReplacingMergeTree" },
      { name: "decision_diff", engine: "ReplacingMergeTree" },
      { name: "decision_eval", engine: "View" },
      { name: "decision_outcomes", engine: "ReplacingMergeTree" },
      { name: "pipeline_metrics", engine: "ReplacingMergeTree" },
      { name: "shadow_decisions", engine: "ReplacingMergeTree" },
      { name: "shadow_decisions_mv", engine: "MaterializedView" },
      { name: "sluice_migrations", engine: "ReplacingMergeTree" },
    ]);
  });

  it("answers the decision queries through `sluice sql` as table, JSON and CSV", async () => {
    const sink = new ClickHouseSink({
      name: "decisions",
      config: clickhouseSinkConfig.parse({ table: "agent_decisions", maxWaitMs: 10 }),
      runId: "live",
      url,
      database,
    });
    await sink.start();
    await sink.write(decisionRecords("enterprise-events", 0, 0, 300));
    await sink.close();
    const file = join(queries, "model_comparison.sql");
    const json = await sqlCommand(file, { url, database, format: "json" });
    expect(json.exitCode).toBe(0);
    const rows = JSON.parse(json.output) as { model_id: string; decisions: string }[];
    expect(rows.reduce((sum, r) => sum + Number(r.decisions), 0)).toBe(300);
    const csv = await sqlCommand(join(queries, "decisions_per_tenant_per_hour.sql"), { url, database, format: "csv" });
    expect(csv.output.split("\n")[0]).toBe('"run_id","tenant_id","hour","decisions","escalations","avg_confidence"');
    const table = await sqlCommand(join(queries, "stage_latency_p99.sql"), { url, database });
    expect(table.output).toMatch(/^run_id\s+model_backend\s+stage/);
    expect(table.output).toMatch(/\(4 rows\)$/);
    const down = await sqlCommand(file, { url: "http://127.0.0.1:9", database });
    expect(down.exitCode).toBe(3);
  });
});
