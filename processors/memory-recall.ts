/**
 * `enrich`'s `recall`: the memories (memory-table.ts) of each record's entity nearest to its vector, next to the
 * knowledge-base documents. Memory is live, not pinned: every micro-batch reads the table's latest version, so
 * what `remember` wrote a moment ago is recalled. One multi-vector query per entity of the micro-batch.
 */
import path from "node:path";
import { z } from "zod";
import { PoisonRecordError, TransientError } from "../core/errors.ts";
import { readPath } from "./feature-vector.ts";
import { searchBatched } from "./kb-query.ts";
import { describeKbTable, sqlLiteral } from "./kb-table.ts";
import { MEMORY_COLUMNS, MemoryTable } from "./memory-table.ts";

export const recallConfig = z.strictObject({
  /** LanceDB database of the memory table (relative to the topology file). @default the knowledge base's `db` */
  db: z.string().min(1).optional(),
  /** @default "agent_memory" */
  table: z.string().min(1).default("agent_memory"),
  /** Record field naming the entity whose memories are recalled (what `remember` wrote as `entityField`). */
  entityField: z.string().min(1),
  /** Memories per record. @default 3 */
  topK: z.number().int().positive().max(100).default(3),
  /** Field the memories are written to: `{table, version, items: [{memory_id, agent_id, summary, …, distance}]}`. @default "memories" */
  outputField: z.string().min(1).default("memories"),
});
export type RecallConfig = z.infer<typeof recallConfig>;

export interface Recalled {
  table: string;
  /** Table version read; null while nothing has been remembered. */
  version: number | null;
  items: Array<Record<string, unknown> & { distance: number }>;
}

/** One record's recall query. */
export interface RecallQuery {
  index: number;
  value: Record<string, unknown>;
  vector: ArrayLike<number>;
}

export class MemoryRecall {
  private constructor(
    private readonly config: RecallConfig,
    private readonly memory: MemoryTable,
  ) {}

  static async open(config: RecallConfig, kbDb: string, baseDir: string): Promise<MemoryRecall> {
    const db =
      config.db === undefined ? kbDb : config.db.includes("://") ? config.db : path.resolve(baseDir, config.db);
    return new MemoryRecall(config, await MemoryTable.connect(db, config.table));
  }

  get outputField(): string {
    return this.config.outputField;
  }

  /** The memories of each query's entity; a record without an entity is bad data (thrown by index). */
  async search(
    queries: readonly RecallQuery[],
    failed: (index: number, error: Error) => void,
  ): Promise<Map<number, Recalled>> {
    const out = new Map<number, Recalled>();
    const byEntity = new Map<string, RecallQuery[]>();
    for (const q of queries) {
      const entity = readPath(q.value, this.config.entityField);
      if (entity === undefined || entity === null || entity === "") {
        failed(q.index, new PoisonRecordError(`recall: entity field ${this.config.entityField} is missing`));
        continue;
      }
      const key = String(entity);
      byEntity.set(key, [...(byEntity.get(key) ?? []), q]);
    }
    let table: Awaited<ReturnType<MemoryTable["latest"]>>;
    let version: number | null = null;
    try {
      table = await this.memory.latest();
      if (table !== undefined) version = await table.version();
    } catch (error) {
      throw new TransientError(`recall: memory table ${this.config.table}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const empty = (): Recalled => ({ table: this.config.table, version, items: [] });
    if (table === undefined) {
      for (const list of byEntity.values()) for (const q of list) out.set(q.index, empty());
      return out;
    }
    const dim = (await describeKbTable(table, this.config.table)).dim;
    const columns = MEMORY_COLUMNS.filter((c) => c !== "memory_id");
    await Promise.all(
      [...byEntity].map(async ([entity, list]) => {
        for (const q of list)
          if (q.vector.length !== dim)
            throw new PoisonRecordError(`recall: vector of dimension ${q.vector.length}, memory table has ${dim}`);
        let found: Awaited<ReturnType<typeof searchBatched>>;
        try {
          found = await searchBatched(
            table,
            list.map((q) => q.vector),
            { topK: this.config.topK, where: `entity = ${sqlLiteral(entity)}`, columns, idColumn: "memory_id" },
          );
        } catch (error) {
          throw new TransientError(
            `recall: querying ${this.config.table}: ${(error as Error).message.split("\n")[0]}`,
            { cause: error },
          );
        }
        list.forEach((q, i) => {
          const r = found[i]!;
          const items = r.ids.map((id, k) => ({
            memory_id: id,
            ...Object.fromEntries(columns.map((c) => [c, toPlain(r.fields[c]?.[k])])),
            distance: r.distances[k] as number,
          }));
          out.set(q.index, { table: this.config.table, version, items });
        });
      }),
    );
    return out;
  }

  close(): void {
    this.memory.close();
  }
}

/** Arrow scalars (bigint offsets) as plain JS values. */
function toPlain(v: unknown): unknown {
  return typeof v === "bigint" ? Number(v) : v;
}
