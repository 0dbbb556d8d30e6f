/**
 * Knowledge-base tables for `enrich`: build, update and describe a LanceDB table whose vectors come from the
 * sluice text encoder. The encoder's model id is kept on the vector column; mixing encoders is refused; an ANN
 * index is built above a row threshold (parameters measured in ops/bench/kb-index.ts).
 */
import * as lancedb from "@lancedb/lancedb";
import { Index } from "@lancedb/lancedb";
import { ConfigError } from "../core/errors.ts";
import { type KbDoc, readDocsJsonl, validateDoc } from "./kb-docs.ts";
import { checkEncoderMatchesTable } from "./kb-encoder-check.ts";
import { chooseVectorIndex, INDEX_THRESHOLD } from "./kb-index-params.ts";
import { describeKbTable, META_ENCODER_DIM, META_ENCODER_ID, openKbTable, VECTOR_COLUMN } from "./kb-table.ts";
import { loadTextEncoder } from "./text-encoder.ts";
import type { BackendName } from "./tfjs-backend.ts";

export interface KbProgress {
  phase: "read" | "embed" | "write" | "index";
  done: number;
  total: number;
}

export interface KbOptions {
  /** LanceDB database folder or URI. */
  db: string;
  table: string;
  /** Encoder model folder (models/encoder). */
  encoder: string;
  /** Document field that is embedded. @default "text" */
  textField?: string;
  /** Rows per encoder call. @default 256 */
  embedBatch?: number;
  /** Build the ANN index when the table has at least this many rows. @default INDEX_THRESHOLD */
  indexThreshold?: number;
  /**
   * Columns `enrich` filters on (`filterColumn`): given a scalar (bitmap) index with the ANN index, so the
   * prefilter of a large table's LanceDB tier does not scan. Columns the table lacks are skipped.
   * @default ["tenant_id"]
   */
  filterColumns?: readonly string[];
  /** @default auto */
  backend?: BackendName | "auto";
  onProgress?: (progress: KbProgress) => void;
}

export interface KbInfo {
  table: string;
  rows: number;
  version: number;
  dim: number;
  encoderModelId: string | undefined;
  indices: { name: string; type: string; columns: string[] }[];
}

async function embedDocs(
  docs: readonly KbDoc[],
  o: KbOptions,
): Promise<{ rows: Record<string, unknown>[]; modelId: string; dim: number }> {
  const encoder = await loadTextEncoder(o.encoder, o.backend);
  const field = o.textField ?? "text";
  const step = o.embedBatch ?? 256;
  const rows: Record<string, unknown>[] = [];
  for (let start = 0; start < docs.length; start += step) {
    const chunk = docs.slice(start, start + step);
    const vectors = encoder.encode(
      chunk.map((d) => String(d[field])),
      step,
    );
    chunk.forEach((d, i) => {
      rows.push({ ...d, [VECTOR_COLUMN]: Array.from(vectors[i] ?? []) });
    });
    o.onProgress?.({ phase: "embed", done: Math.min(start + step, docs.length), total: docs.length });
  }
  return { rows, modelId: encoder.modelId, dim: encoder.dim };
}

async function indexIfLarge(table: lancedb.Table, o: KbOptions): Promise<void> {
  const rows = await table.countRows();
  if (rows < (o.indexThreshold ?? INDEX_THRESHOLD)) return;
  const hasVectorIndex = (await table.listIndices()).some((i) => i.columns.includes(VECTOR_COLUMN));
  o.onProgress?.({ phase: "index", done: 0, total: rows });
  const described = await describeKbTable(table, o.table);
  if (hasVectorIndex) await table.optimize();
  else await table.createIndex(VECTOR_COLUMN, { config: chooseVectorIndex(rows, described.dim), replace: true });
  const indexed = new Set((await table.listIndices()).flatMap((i) => i.columns));
  for (const column of o.filterColumns ?? ["tenant_id"]) {
    if (described.columns.includes(column) && !indexed.has(column))
      await table.createIndex(column, { config: Index.bitmap() });
  }
  o.onProgress?.({ phase: "index", done: rows, total: rows });
}

/** Documents from a JSON Lines file, or in-memory documents checked the same way. */
async function documents(from: string | readonly object[], o: KbOptions): Promise<KbDoc[]> {
  const field = o.textField ?? "text";
  return typeof from === "string"
    ? readDocsJsonl(from, field)
    : from.map((d, i) => validateDoc(d, field, { file: "<documents>", line: i + 1 }));
}

/** Creates (or replaces) `table` from documents or a JSON Lines file. Returns the table's info. */
export async function buildKnowledgeBase(from: string | readonly object[], o: KbOptions): Promise<KbInfo> {
  const docs = await documents(from, o);
  o.onProgress?.({ phase: "read", done: docs.length, total: docs.length });
  if (docs.length === 0) throw new ConfigError(`knowledge-base table ${o.table}: no documents to build from`);
  const { rows, modelId, dim } = await embedDocs(docs, o);
  const db = await lancedb.connect(o.db);
  o.onProgress?.({ phase: "write", done: 0, total: rows.length });
  const table = await db.createTable(o.table, rows, { mode: "overwrite" });
  await table.updateFieldMetadata([
    { path: VECTOR_COLUMN, metadata: { [META_ENCODER_ID]: modelId, [META_ENCODER_DIM]: String(dim) } },
  ]);
  o.onProgress?.({ phase: "write", done: rows.length, total: rows.length });
  await indexIfLarge(table, o);
  const info = await knowledgeBaseInfo(o.db, o.table);
  table.close();
  return info;
}

/**
 * Upserts documents (by `doc_id`) into an existing table built with the same encoder; refuses another encoder
 * (`ConfigError` naming the table). Keeps the ANN index up to date.
 */
export async function updateKnowledgeBase(from: string | readonly object[], o: KbOptions): Promise<KbInfo> {
  const { table } = await openKbTable(o.db, o.table);
  await checkEncoderMatchesTable(o.encoder, o.table, await describeKbTable(table, o.table));
  const docs = await documents(from, o);
  o.onProgress?.({ phase: "read", done: docs.length, total: docs.length });
  const { rows } = await embedDocs(docs, o);
  o.onProgress?.({ phase: "write", done: 0, total: rows.length });
  await table.mergeInsert("doc_id").whenMatchedUpdateAll().whenNotMatchedInsertAll().execute(rows);
  o.onProgress?.({ phase: "write", done: rows.length, total: rows.length });
  await indexIfLarge(table, o);
  table.close();
  return knowledgeBaseInfo(o.db, o.table);
}

/** Rows, version, vector dimension, encoder model id and indices of a knowledge-base table. */
export async function knowledgeBaseInfo(db: string, tableName: string): Promise<KbInfo> {
  const { table } = await openKbTable(db, tableName);
  const described = await describeKbTable(table, tableName);
  const info: KbInfo = {
    table: tableName,
    rows: await table.countRows(),
    version: await table.version(),
    dim: described.dim,
    encoderModelId: described.encoderModelId,
    indices: (await table.listIndices()).map((i) => ({ name: i.name, type: i.indexType, columns: i.columns })),
  };
  table.close();
  return info;
}
