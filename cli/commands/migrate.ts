/**
 * `sluice migrate`: creates or updates sluice's ClickHouse tables (analytics/migrations) for the server's
 * version and lists each migration as applied or skipped; `--json` for the full report.
 */
import { migrate } from "../../analytics/migrate.ts";
import { EXIT } from "../exit-codes.ts";
import { type CommandResult, clickhouseExitCode } from "./sql.ts";

export interface MigrateCommandOptions {
  /** @default process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123" */
  url?: string;
  /** Created when missing. @default "default" */
  database?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
  /** Print the report as JSON. @default false */
  json?: boolean;
}

export async function migrateCommand(options: MigrateCommandOptions = {}): Promise<CommandResult> {
  const url = options.url ?? process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
  try {
    const report = await migrate(url, {
      ...(options.database ? { database: options.database } : {}),
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    });
    if (options.json) return { exitCode: EXIT.OK, output: JSON.stringify(report, null, 2) };
    const on = Object.entries(report.features)
      .filter(([, enabled]) => enabled)
      .map(([name]) => name);
    const lines = [
      `ClickHouse ${report.serverVersion}, database ${report.database}; features: ${on.length > 0 ? on.join(", ") : "none (18.x baseline)"}`,
      ...report.migrations.map((m) => `  ${m.status.padEnd(8)} ${m.name}`),
    ];
    const changed = report.migrations.filter((m) => m.status === "changed");
    if (changed.length > 0)
      lines.push(`warning: ${changed.length} applied migration(s) changed since; add a new migration instead`);
    return { exitCode: EXIT.OK, output: lines.join("\n") };
  } catch (error) {
    return { exitCode: clickhouseExitCode(error), output: `sluice migrate: ${(error as Error).message}` };
  }
}
