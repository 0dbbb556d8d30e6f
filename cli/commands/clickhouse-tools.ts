/**
 * Wires `sluice migrate` (versioned, idempotent ClickHouse DDL) and `sluice sql <file>` (analytics queries as a
 * table, JSON or CSV) into the command line. Credentials come from the environment, never from arguments.
 * The ClickHouse client loads only when one of them runs.
 */
import type { Command } from "commander";

function emit(result: { exitCode: number; output: string }): void {
  const stream = result.exitCode === 0 ? process.stdout : process.stderr;
  if (result.output) stream.write(result.output.endsWith("\n") ? result.output : `${result.output}\n`);
  process.exitCode = result.exitCode;
}

const connection = (o: { url?: string; database?: string }) => ({
  ...(o.url ? { url: o.url } : {}),
  ...(o.database ? { database: o.database } : {}),
  ...(process.env.CLICKHOUSE_USER ? { username: process.env.CLICKHOUSE_USER } : {}),
  ...(process.env.CLICKHOUSE_PASSWORD ? { password: process.env.CLICKHOUSE_PASSWORD } : {}),
});

export function registerClickHouseToolCommands(program: Command): void {
  program
    .command("migrate")
    .description("create or upgrade sluice's ClickHouse tables (versioned, idempotent, recorded in sluice_migrations)")
    .option("--url <url>", "ClickHouse HTTP URL (default: $CLICKHOUSE_URL or the local stack)")
    .option("--database <db>", "database (created when missing)", "default")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice migrate\n  CLICKHOUSE_PASSWORD=… sluice migrate --url https://ch.example.com:8443 --database sluice",
    )
    .action(async (o: { url?: string; database?: string; json?: boolean }) => {
      const { migrateCommand } = await import("./migrate.ts");
      emit(await migrateCommand({ ...connection(o), ...(o.json ? { json: true } : {}) }));
    });

  program
    .command("sql")
    .description("run an analytics query file (analytics/queries/*.sql) against ClickHouse")
    .argument("<file>", "SQL file")
    .option("--format <format>", "table, json or csv (default: table on a TTY, json otherwise)")
    .option("--url <url>", "ClickHouse HTTP URL (default: $CLICKHOUSE_URL or the local stack)")
    .option("--database <db>", "database", "default")
    .addHelpText(
      "after",
      "\nExamples:\n  sluice sql analytics/queries/decisions_per_tenant_per_hour.sql\n  sluice sql analytics/queries/dlq_reasons.sql --format csv",
    )
    .action(async (file: string, o: { url?: string; database?: string; format?: string }) => {
      const { sqlCommand } = await import("./sql.ts");
      emit(
        await sqlCommand(file, {
          ...connection(o),
          format: (o.format ?? (process.stdout.isTTY ? "table" : "json")) as "table" | "json" | "csv",
        }),
      );
    });
}
