/**
 * Config of the ClickHouse sink (`type: clickhouse`): table, batching limits and the column mapping. The sink
 * class lives in sinks/clickhouse.ts; this schema is what the topology spec composes.
 */
import { z } from "zod";

export const clickhouseSinkConfig = z.strictObject({
  /** Destination table (optionally `database.table`). */
  table: z.string().min(1),
  /** Rows per INSERT at most. @default 10000 */
  maxRows: z.number().int().positive().default(10_000),
  /** Bytes (JSON) per INSERT at most. @default 16777216 (16 MiB) */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Longest a row waits in the buffer before an INSERT. @default 1000 */
  maxWaitMs: z.number().int().nonnegative().default(1000),
  /** INSERTs in flight at once. @default 2 */
  maxInFlightInserts: z.number().int().positive().default(2),
  /**
   * Column name → field path in the record value (`customer.tier`). @default every top-level value field
   * maps to the column of the same name
   */
  columns: z.record(z.string().min(1), z.string().min(1)).optional(),
});
export type ClickHouseSinkConfig = z.infer<typeof clickhouseSinkConfig>;
