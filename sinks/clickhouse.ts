/**
 * The ClickHouse sink: rows from concurrent `write()` calls share batched INSERTs (max rows, bytes, wait) and
 * each call resolves only when every INSERT holding its rows was acknowledged; rows carry the lineage key so a
 * redelivered batch replaces itself in the ReplacingMergeTree tables instead of counting twice.
 */
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import type { BulkheadPolicy } from "cockatiel";
import { bulkhead } from "cockatiel";
import type { Logger } from "pino";
import { z } from "zod";
import { BatchError, ConfigError, SluiceError, TransientError } from "../core/errors.ts";
import { silentLogger } from "../core/logger.ts";
import type { StreamRecord } from "../processors/api.ts";
import type { Sink } from "./api.ts";
import { asSinkError } from "./clickhouse-errors.ts";
import {
  type ClickHouseFeatures,
  detectServer,
  type ServerVersion,
  sqlIdentifier,
  sqlString,
} from "./clickhouse-features.ts";
import { Inserter, type InsertPolicyOptions } from "./clickhouse-insert.ts";
import { type ColumnInfo, type InsertFormat, RowMapper } from "./clickhouse-rows.ts";
import { defineSink, type SinkEnvironment } from "./define.ts";

/** Config of the ClickHouse sink (`type: clickhouse`): table, batching limits and the column mapping. */
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

export interface ClickHouseSinkOptions extends InsertPolicyOptions {
  /** Name of the sink node in the topology. */
  name: string;
  /** The sink's validated config (`sinks[].clickhouse`). */
  config: ClickHouseSinkConfig;
  /** Run id written into every row's `run_id` (`live`, or a replay's id). */
  runId: string;
  /** @default process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123" */
  url?: string;
  /** @default "default" */
  username?: string;
  /** @default "" */
  password?: string;
  /** Database of a table named without one. @default "default" */
  database?: string;
  /**
   * Require the lineage key columns in the table (the idempotency guarantee); false for tables keyed otherwise,
   * such as `pipeline_metrics`. @default true
   */
  lineage?: boolean;
  /** @default "JSONEachRow" */
  format?: InsertFormat;
  /** Use `async_insert` (waiting for it) where the server has it. @default false */
  asyncInsert?: boolean;
  /**
   * Per-request timeout. @clickhouse/client's own default is 300 s, which a hung server (SIGSTOP, a black-holed
   * network) would hold an INSERT for; 30 s fails it to the retry and the breaker while leaving a large INSERT on
   * a loaded server time to finish. @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How long an idle keep-alive socket is reused. Below the server's keep_alive_timeout (3 s before 23.11, 10 s in
   * the local stack), so a socket the server already closed is never picked for an INSERT; sockets idle longer
   * are destroyed eagerly even after an event-loop stall. @default 2000
   */
  keepAliveIdleMs?: number;
  /** Rows accepted but not yet inserting before `write()` waits. @default maxRows × (maxInFlightInserts + 1) */
  maxBufferedRows?: number;
  /** Insert slots; pass `processInsertSlots()` to bound INSERTs across sinks. @default maxInFlightInserts of its own */
  slots?: BulkheadPolicy;
  /** A client to use (never closed by the sink). @default a client of its own */
  client?: ClickHouseClient;
  /** @default silent */
  logger?: Logger;
}

/** One `write()` call waiting for its rows. */
interface PendingWrite {
  remaining: number;
  failures: Map<number, Error>;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

interface BufferedRow {
  line: string;
  write: PendingWrite;
  index: number;
}

export class ClickHouseSink implements Sink {
  readonly name: string;
  /** Rows are keyed by lineage (ReplacingMergeTree): the order INSERTs land in never changes the table. */
  readonly unordered = true;
  version: ServerVersion | undefined;
  features: ClickHouseFeatures | undefined;
  private readonly client: ClickHouseClient;
  private readonly table: { database: string; table: string };
  private readonly log: Logger;
  private mapper: RowMapper | undefined;
  private inserter: Inserter | undefined;
  private buffer: BufferedRow[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private due = false;
  private queued = 0;
  private readonly active = new Set<Promise<void>>();
  private spaceWaiters: (() => void)[] = [];

  constructor(private readonly options: ClickHouseSinkOptions) {
    this.name = options.name;
    const [first, second] = options.config.table.split(/\.(.*)/s);
    this.table = second
      ? { database: first as string, table: second }
      : { database: options.database ?? "default", table: first as string };
    this.log = (options.logger ?? silentLogger()).child({ sink: options.name });
    this.client =
      options.client ??
      createClient({
        url: options.url ?? process.env.CLICKHOUSE_URL ?? "http://127.0.0.1:28123",
        username: options.username ?? "default",
        password: options.password ?? "",
        request_timeout: options.requestTimeoutMs ?? 30_000,
        keep_alive: {
          enabled: true,
          idle_socket_ttl: options.keepAliveIdleMs ?? 2000,
          eagerly_destroy_stale_sockets: true,
        },
        max_open_connections: options.config.maxInFlightInserts + 2,
        // Failures reach the caller as TransientError/BatchError; the client's own error log would duplicate them.
        log: { level: ClickHouseLogLevel.OFF },
      });
  }

  private get qualified(): string {
    return `${sqlIdentifier(this.table.database)}.${sqlIdentifier(this.table.table)}`;
  }

  /** Detects the server version and features, reads the table's columns; a missing table is a ConfigError. */
  async start(): Promise<void> {
    let columns: ColumnInfo[];
    try {
      const server = await detectServer(this.client);
      this.version = server.version;
      this.features = server.features;
      const result = await this.client.query({
        query: `SELECT name, type, default_kind FROM system.columns WHERE database = ${sqlString(this.table.database)} AND table = ${sqlString(this.table.table)}`,
        format: "JSONEachRow",
      });
      columns = await result.json<ColumnInfo>();
    } catch (error) {
      throw asSinkError(error, `sink ${this.name}: connecting to ClickHouse`);
    }
    const where = `${this.table.database}.${this.table.table}`;
    if (columns.length === 0) {
      throw new ConfigError(`sink ${this.name}: table ${where} does not exist (run sluice migrate)`);
    }
    try {
      this.mapper = new RowMapper(
        columns,
        this.options.config.columns,
        this.options.runId,
        this.options.lineage ?? true,
      );
    } catch (error) {
      throw new ConfigError(`sink ${this.name}: table ${where}: ${(error as Error).message}`);
    }
    const { maxInFlightInserts } = this.options.config;
    this.inserter = new Inserter(
      this.client,
      { table: this.qualified, columns: this.mapper.columnNames, format: this.options.format ?? "JSONEachRow" },
      this.features,
      this.options.slots ?? bulkhead(maxInFlightInserts, Number.POSITIVE_INFINITY),
      this.options,
    );
    this.log.info({ table: where, version: this.version.text, features: this.features }, "clickhouse sink ready");
  }

  /** Buffers the rows; resolves when all are inserted, rejects TransientError (unavailable) or BatchError (refused rows). */
  async write(records: readonly StreamRecord[]): Promise<void> {
    const { mapper, inserter } = this;
    if (!mapper || !inserter) throw new SluiceError(`sink ${this.name}: write before start()`);
    if (inserter.rejecting) throw new TransientError(`sink ${this.name}: ClickHouse unavailable (circuit open)`);
    await this.waitForSpace();
    if (inserter.rejecting) throw new TransientError(`sink ${this.name}: ClickHouse unavailable (circuit open)`);
    const format = this.options.format ?? "JSONEachRow";
    return new Promise<void>((resolve, reject) => {
      const write: PendingWrite = { remaining: 0, failures: new Map(), settled: false, resolve, reject };
      records.forEach((record, index) => {
        try {
          const line = mapper.encode(mapper.toRow(record), format);
          this.buffer.push({ line, write, index });
          this.bufferedBytes += line.length;
          write.remaining++;
        } catch (error) {
          write.failures.set(index, error as Error);
        }
      });
      if (write.remaining === 0) this.settle(write);
      else this.schedule();
    });
  }

  /** Inserts everything buffered now; resolves when those INSERTs have settled. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.buffer.length > 0) {
        this.due = true;
        this.schedule();
      }
      if (this.active.size > 0) await Promise.allSettled([...this.active]);
      else if (this.buffer.length === 0) return;
      else await new Promise((tick) => setTimeout(tick, 1));
    }
  }

  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    for (const wake of this.spaceWaiters.splice(0)) wake();
    if (!this.options.client) await this.client.close();
  }

  /** False while the circuit breaker is open (ClickHouse considered down) or before start. */
  isHealthy(): boolean {
    return this.inserter !== undefined && !this.inserter.open;
  }

  private get maxBufferedRows(): number {
    const { maxRows, maxInFlightInserts } = this.options.config;
    return this.options.maxBufferedRows ?? maxRows * (maxInFlightInserts + 1);
  }

  private async waitForSpace(): Promise<void> {
    while (this.buffer.length >= this.maxBufferedRows && !this.inserter?.open) {
      await new Promise<void>((wake) => this.spaceWaiters.push(wake));
    }
  }

  /** Starts an INSERT when a batch is full or due, else arms the max-wait timer. */
  private schedule(): void {
    const { maxRows, maxBytes, maxWaitMs } = this.options.config;
    if (this.buffer.length === 0) {
      this.due = false;
      return;
    }
    const full = this.buffer.length >= maxRows || this.bufferedBytes >= maxBytes;
    if ((full || this.due || maxWaitMs === 0) && this.queued === 0) {
      this.queued++;
      const insert = this.inserter!.withSlot(() => this.insertNext()).finally(() => {
        this.active.delete(insert);
        this.schedule();
      });
      this.active.add(insert);
    } else if (!this.timer && !this.due) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.schedule();
      }, maxWaitMs);
    }
  }

  /** Takes the next batch (rows of writes already rejected are dropped) and inserts it, holding a slot. */
  private async insertNext(): Promise<void> {
    this.queued--;
    const { maxRows, maxBytes } = this.options.config;
    const batch: BufferedRow[] = [];
    let bytes = 0;
    let taken = 0;
    for (; taken < this.buffer.length && batch.length < maxRows; taken++) {
      const row = this.buffer[taken] as BufferedRow;
      this.bufferedBytes -= row.line.length;
      if (row.write.settled) continue;
      if (batch.length > 0 && bytes + row.line.length > maxBytes) break;
      bytes += row.line.length;
      batch.push(row);
    }
    this.buffer = this.buffer.slice(taken);
    this.due = false;
    for (const wake of this.spaceWaiters.splice(0)) wake();
    this.schedule();
    if (batch.length === 0) return;
    try {
      const { refused } = await this.inserter!.insert(batch.map((row) => row.line));
      batch.forEach((row, i) => {
        const failure = refused.get(i);
        if (failure) row.write.failures.set(row.index, failure);
        if (--row.write.remaining === 0) this.settle(row.write);
      });
    } catch (error) {
      const failure = asSinkError(error, `sink ${this.name}: inserting ${batch.length} rows`);
      this.log.warn({ err: failure.message, rows: batch.length }, "insert failed");
      for (const row of batch) this.settle(row.write, failure);
    }
  }

  private settle(write: PendingWrite, error?: Error): void {
    if (write.settled) return;
    write.settled = true;
    if (error) {
      write.reject(error);
      return;
    }
    if (write.failures.size === 0) {
      write.resolve();
      return;
    }
    const batchError = new BatchError(`sink ${this.name}: ClickHouse refused ${write.failures.size} rows`);
    for (const [index, failure] of write.failures) batchError.failed(index, failure);
    write.reject(batchError);
  }
}

/**
 * A ClickHouse sink on the topology's server, sharing the process-wide insert slots. `lineage: false` for tables
 * keyed otherwise (`pipeline_metrics`, `audit_log`). Throws a `ConfigError` when the topology has no ClickHouse.
 */
export function clickhouseSinkIn(env: SinkEnvironment, config: ClickHouseSinkConfig, lineage = true): ClickHouseSink {
  const server = env.clickhouse;
  if (!server) throw new ConfigError(`sink ${env.name}: the topology has no clickhouse: {url} section`);
  return new ClickHouseSink({
    name: env.name,
    config,
    runId: env.runId,
    url: server.url,
    username: server.username,
    password: server.password,
    database: server.database,
    lineage,
    slots: env.insertSlots,
  });
}

/** `type: clickhouse`: batched, idempotent INSERTs keyed by lineage into a ReplacingMergeTree table. */
export const clickhouseSinkDefinition = defineSink({
  type: "clickhouse",
  summary: "inserts records as rows of a ClickHouse table, batched and idempotent by lineage key",
  config: clickhouseSinkConfig,
  create: (config, env) => clickhouseSinkIn(env, config),
});
