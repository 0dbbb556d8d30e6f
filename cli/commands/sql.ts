/**
 * `sluice sql <file>`: runs an analytics query file against ClickHouse; a table for people, `--format json|csv`
 * for programs. Exit 3 when ClickHouse is unreachable, 1 for a bad file or query.
 */
import { runSqlFile, type SqlOutputFormat } from "../../analytics/sql.ts";
import { EXIT } from "../exit-codes.ts";

export interface SqlCommandOptions {
  /** @default process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123" */
  url?: string;
  /** @default "default" */
  database?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
  /** @default "table" */
  format?: SqlOutputFormat;
}

export interface CommandResult {
  exitCode: number;
  output: string;
}

/** Exit code for a failed ClickHouse call: unavailable (3) for network/server trouble, invalid (1) otherwise. */
export function clickhouseExitCode(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  const network = typeof code === "string" && /^E[A-Z]/.test(code);
  return network || /timeout/i.test(String(error)) ? EXIT.UNAVAILABLE : EXIT.INVALID;
}

export async function sqlCommand(file: string, options: SqlCommandOptions = {}): Promise<CommandResult> {
  const format = options.format ?? "table";
  if (!["table", "json", "csv"].includes(format)) {
    return { exitCode: EXIT.INVALID, output: `sluice sql: --format must be table, json or csv (got ${format})` };
  }
  const url = options.url ?? process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123";
  try {
    const output = await runSqlFile(url, file, {
      format,
      ...(options.database ? { database: options.database } : {}),
      ...(options.username ? { username: options.username } : {}),
      ...(options.password ? { password: options.password } : {}),
    });
    return { exitCode: EXIT.OK, output };
  } catch (error) {
    return { exitCode: clickhouseExitCode(error), output: `sluice sql ${file}: ${(error as Error).message}` };
  }
}
