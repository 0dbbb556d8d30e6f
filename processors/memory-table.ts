/**
 * The long-term memory table of agents in LanceDB, shared by `remember` (writes) and `enrich`'s `recall`
 * (reads by entity): one row per remembered decision or summary, attributed (entity, agent id and version,
 * lineage key, time) and embedded with the sluice text encoder, whose model id is kept on the vector column as
 * for knowledge-base tables. Rows are upserted by `memory_id` (the lineage key), so a redelivery replaces its
 * earlier copy; every write is a new table version.
 */
import * as lancedb from "@lancedb/lancedb";
import { TransientError } from "../core/errors.ts";
import { META_ENCODER_DIM, META_ENCODER_ID, VECTOR_COLUMN } from "./kb-table.ts";

/** One remembered item. */
export interface MemoryRow {
  /** `<topic>/<partition>@<offset>#<run id>#<agent>`: stable across redelivery. */
  memory_id: string;
  entity: string;
  agent_id: string;
  agent_version: string;
  decision: string;
  summary: string;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  run_id: string;
  /** Epoch milliseconds. */
  created_at: number;
  vector: number[];
}

/** The columns recall returns besides the vector. */
export const MEMORY_COLUMNS = [
  "memory_id",
  "entity",
  "agent_id",
  "agent_version",
  "decision",
  "summary",
  "source_topic",
  "source_partition",
  "source_offset",
  "created_at",
] as const;

/** The memory table of a database, created by the first write that needs it. */
export class MemoryTable {
  private table: lancedb.Table | undefined;

  private constructor(
    private readonly db: lancedb.Connection,
    readonly name: string,
  ) {}

  static async connect(uri: string, name: string): Promise<MemoryTable> {
    return new MemoryTable(await lancedb.connect(uri), name);
  }

  /** The table at its latest version, or undefined while nothing has been remembered. */
  async latest(): Promise<lancedb.Table | undefined> {
    if (this.table === undefined) {
      if (!(await this.db.tableNames()).includes(this.name)) return undefined;
      this.table = await this.db.openTable(this.name);
    }
    await this.table.checkoutLatest();
    return this.table;
  }

  /** Upserts `rows` by memory id; returns the table version that holds them. */
  async write(rows: readonly MemoryRow[], encoderModelId: string): Promise<number> {
    try {
      let table = await this.latest();
      if (table === undefined) {
        try {
          table = await this.db.createTable(this.name, rows as unknown as Record<string, unknown>[], {
            mode: "create",
          });
          await table.updateFieldMetadata([
            {
              path: VECTOR_COLUMN,
              metadata: { [META_ENCODER_ID]: encoderModelId, [META_ENCODER_DIM]: String(rows[0]?.vector.length ?? 0) },
            },
          ]);
          this.table = table;
          return await table.version();
        } catch (error) {
          // Another task created it meanwhile: fall through to the upsert.
          table = await this.latest();
          if (table === undefined) throw error;
        }
      }
      await table
        .mergeInsert("memory_id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute(rows as unknown as Record<string, unknown>[]);
      return await table.version();
    } catch (error) {
      throw new TransientError(`memory table ${this.name}: ${(error as Error).message.split("\n")[0]}`, {
        cause: error,
      });
    }
  }

  close(): void {
    this.table?.close();
    this.db.close();
  }
}
