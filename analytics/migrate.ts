/**
 * `sluice migrate`: applies the versioned DDL in analytics/migrations/ in order, each rendered for the
 * server's detected features, and records what it applied in `sluice_migrations`. Safe to run again: applied
 * versions are skipped and every statement is `IF NOT EXISTS`.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { type ClickHouseFeatures, detectServer, sqlIdentifier, sqlString } from "../sinks/clickhouse-features.ts";
import { renderTemplate, statements } from "./template.ts";

/** Where the migration files live. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), "migrations");

export interface Migration {
  version: number;
  name: string;
  /** sha256 of the template text (not of the rendering, which differs per server). */
  checksum: string;
  template: string;
}

export interface MigrationResult {
  version: number;
  name: string;
  /** `changed`: applied earlier from a different text (not re-applied; write a new migration instead). */
  status: "applied" | "skipped" | "changed";
}

export interface MigrateOptions {
  /** Created when missing. @default "default" */
  database?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
  /** @default MIGRATIONS_DIR */
  dir?: string;
}

export interface MigrateReport {
  serverVersion: string;
  features: ClickHouseFeatures;
  database: string;
  migrations: MigrationResult[];
}

/** The migrations in `dir`, ordered by the number that starts their file name (`0001_agent_decisions.sql`). */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d+_[\w-]+\.sql$/.test(file))
    .map((file) => {
      const template = readFileSync(join(dir, file), "utf8");
      return {
        version: Number.parseInt(file, 10),
        name: file.replace(/\.sql$/, ""),
        checksum: createHash("sha256").update(template).digest("hex"),
        template,
      };
    })
    .sort((a, b) => a.version - b.version);
}

/** Every statement of every migration, rendered for `features` (the chDB test renders them all-modern). */
export function renderMigrations(features: ClickHouseFeatures, dir = MIGRATIONS_DIR): string[] {
  return [
    MIGRATIONS_TABLE_DDL,
    ...loadMigrations(dir).flatMap((m) => statements(renderTemplate(m.template, features))),
  ];
}

const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS sluice_migrations
(
    version UInt32,
    name String,
    checksum String,
    server_version String,
    features String,
    applied_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version`;

async function appliedChecksums(client: ClickHouseClient): Promise<Map<number, string>> {
  const result = await client.query({
    query: "SELECT version, argMax(checksum, applied_at) AS checksum FROM sluice_migrations GROUP BY version",
    format: "JSONEachRow",
  });
  const rows = await result.json<{ version: number | string; checksum: string }>();
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/** Applies what is missing; returns each migration with `applied`, `skipped` or `changed`. */
export async function migrate(url: string, options: MigrateOptions = {}): Promise<MigrateReport> {
  const database = options.database ?? "default";
  const auth = { username: options.username ?? "default", password: options.password ?? "" };
  const root = createClient({ url, ...auth });
  try {
    await root.command({ query: `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)}` });
  } finally {
    await root.close();
  }
  const client = createClient({ url, ...auth, database });
  try {
    const { version, features } = await detectServer(client);
    await client.command({ query: MIGRATIONS_TABLE_DDL });
    const applied = await appliedChecksums(client);
    const results: MigrationResult[] = [];
    for (const migration of loadMigrations(options.dir)) {
      const recorded = applied.get(migration.version);
      if (recorded !== undefined) {
        const status = recorded === migration.checksum ? "skipped" : "changed";
        results.push({ version: migration.version, name: migration.name, status });
        continue;
      }
      for (const statement of statements(renderTemplate(migration.template, features))) {
        await client.command({ query: statement });
      }
      const values = [
        String(migration.version),
        sqlString(migration.name),
        sqlString(migration.checksum),
        sqlString(version.text),
        sqlString(JSON.stringify(features)),
      ].join(", ");
      await client.command({
        query: `INSERT INTO sluice_migrations (version, name, checksum, server_version, features) VALUES (${values})`,
      });
      results.push({ version: migration.version, name: migration.name, status: "applied" });
    }
    return { serverVersion: version.text, features, database, migrations: results };
  } finally {
    await client.close();
  }
}
