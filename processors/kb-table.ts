/**
 * Conventions of a sluice knowledge-base table in LanceDB, shared by `kb build|update|info` and `enrich`: the
 * vector column, the encoder id kept in that column's field metadata, and opening a table with a clear error.
 */
import * as lancedb from "@lancedb/lancedb";
import { ConfigError } from "../core/errors.ts";

/** Column holding the document vectors. */
export const VECTOR_COLUMN = "vector";
/** Field-metadata keys on the vector column. */
export const META_ENCODER_ID = "sluice.encoder_model_id";
export const META_ENCODER_DIM = "sluice.encoder_dim";

export interface KbTableInfo {
  /** Vector dimension of the table's vector column. */
  dim: number;
  /** Encoder model id recorded when the table was built, if any. */
  encoderModelId: string | undefined;
  /** Column names. */
  columns: string[];
}

/** Reads the vector dimension and the recorded encoder id from a table's schema. */
export async function describeKbTable(table: lancedb.Table, tableName: string): Promise<KbTableInfo> {
  const schema = await table.schema();
  const field = schema.fields.find((f) => f.name === VECTOR_COLUMN);
  const dim = (field?.type as { listSize?: number } | undefined)?.listSize;
  if (field === undefined || typeof dim !== "number") {
    throw new ConfigError(`knowledge-base table ${tableName}: no fixed-size "${VECTOR_COLUMN}" column`);
  }
  return { dim, encoderModelId: field.metadata.get(META_ENCODER_ID), columns: schema.fields.map((f) => f.name) };
}

/** Opens `tableName` in the LanceDB at `uri`; a missing database or table is a `ConfigError` naming it. */
export async function openKbTable(
  uri: string,
  tableName: string,
): Promise<{ db: lancedb.Connection; table: lancedb.Table }> {
  let db: lancedb.Connection;
  try {
    db = await lancedb.connect(uri);
  } catch (error) {
    throw new ConfigError(`knowledge-base database ${uri}: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
    });
  }
  const names = await db.tableNames();
  if (!names.includes(tableName)) {
    throw new ConfigError(
      `knowledge-base table ${tableName} does not exist in ${uri} (tables: ${names.join(", ") || "none"}); build it with \`sluice kb build\``,
    );
  }
  return { db, table: await db.openTable(tableName) };
}

/** SQL literal for a LanceDB `where` filter. */
export function sqlLiteral(value: unknown): string {
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  return `'${String(value).replaceAll("'", "''")}'`;
}
