/**
 * One INSERT of encoded lines, made outage-proof: a few quick retries with backoff inside a circuit breaker
 * (cockatiel), a bounded number in flight (a bulkhead, shareable by every ClickHouse sink of a process), and,
 * when the server refuses the data, bisection down to the rows it refuses so their neighbours still land.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ClickHouseClient, ClickHouseSettings } from "@clickhouse/client";
import {
  BrokenCircuitError,
  type BulkheadPolicy,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  retry,
  wrap,
} from "cockatiel";
import { PoisonRecordError } from "../core/errors.ts";
import { classify } from "./clickhouse-errors.ts";
import type { ClickHouseFeatures } from "./clickhouse-features.ts";
import type { InsertFormat } from "./clickhouse-rows.ts";

export interface InsertPolicyOptions {
  /** Attempts per INSERT before the batch's writes reject with TransientError. @default 3 */
  attempts?: number;
  /** First retry delay. @default 100 */
  initialDelayMs?: number;
  /** Longest retry delay. @default 1000 */
  maxDelayMs?: number;
  /** Consecutive failed attempts that open the breaker. @default 5 */
  breakerThreshold?: number;
  /** How long the breaker stays open before one trial INSERT. @default 5000 */
  halfOpenAfterMs?: number;
}

let processSlots: BulkheadPolicy | undefined;

/**
 * The process-wide bound on INSERTs in flight, shared by the ClickHouse sinks that pass it as `slots`.
 * @param limit used when first called. @default 4
 */
export function processInsertSlots(limit = 4): BulkheadPolicy {
  processSlots ??= bulkhead(limit, Number.POSITIVE_INFINITY);
  return processSlots;
}

/** What an inserter reports per line of a batch. */
export interface InsertOutcome {
  /** Indexes (into the batch) of lines the server refused, with why. */
  refused: Map<number, Error>;
}

export class Inserter {
  readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly target: { table: string; columns: readonly string[]; format: InsertFormat },
    private readonly features: ClickHouseFeatures,
    private readonly slots: BulkheadPolicy,
    options: InsertPolicyOptions & { asyncInsert?: boolean } = {},
  ) {
    const transient = (e: Error) => classify(e) === "transient" && !(e instanceof BrokenCircuitError);
    this.breaker = circuitBreaker(handleWhen(transient), {
      halfOpenAfter: options.halfOpenAfterMs ?? 5000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    const retrying = retry(handleWhen(transient), {
      maxAttempts: (options.attempts ?? 3) - 1,
      backoff: new ExponentialBackoff({
        initialDelay: options.initialDelayMs ?? 100,
        maxDelay: options.maxDelayMs ?? 1000,
      }),
    });
    this.policy = wrap(retrying, this.breaker);
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? 5000;
    this.breaker.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.asyncInsert = options.asyncInsert === true && features.asyncInsert;
  }

  private readonly asyncInsert: boolean;
  private readonly halfOpenAfterMs: number;
  private openedAt = 0;

  /** The breaker is open: ClickHouse is considered down until a trial INSERT succeeds. */
  get open(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /**
   * Writes are refused without buffering: the breaker opened less than `halfOpenAfterMs` ago. After that
   * (cockatiel half-opens lazily, on the next execution) a write goes through and its INSERT is the trial.
   */
  get rejecting(): boolean {
    return this.open && Date.now() - this.openedAt < this.halfOpenAfterMs;
  }

  /** Runs `work` holding one of the insert slots. */
  withSlot<T>(work: () => Promise<T>): Promise<T> {
    return this.slots.execute(work);
  }

  /**
   * Inserts `lines`; resolves with the lines the server refused as bad data (all others are durable), or
   * rejects with the transient/fatal error that stopped it (then nothing may be assumed written).
   */
  async insert(lines: readonly string[]): Promise<InsertOutcome> {
    const refused = new Map<number, Error>();
    await this.bisect(lines, 0, refused);
    return { refused };
  }

  private async bisect(lines: readonly string[], offset: number, refused: Map<number, Error>): Promise<void> {
    try {
      await this.policy.execute(() => this.insertOnce(lines));
    } catch (error) {
      if (classify(error) !== "bad-data") throw error;
      if (lines.length === 1) {
        const reason = (error as Error).message.split("\n")[0];
        refused.set(offset, new PoisonRecordError(`ClickHouse refused the row for ${this.target.table}: ${reason}`));
        return;
      }
      const half = Math.ceil(lines.length / 2);
      await this.bisect(lines.slice(0, half), offset, refused);
      await this.bisect(lines.slice(half), offset + half, refused);
    }
  }

  private async insertOnce(lines: readonly string[]): Promise<void> {
    const body = lines.join("");
    const settings: ClickHouseSettings = {};
    if (this.features.insertDeduplicationToken) {
      // A retried identical batch is dropped by the server (tables set non_replicated_deduplication_window).
      settings.insert_deduplication_token = createHash("sha1").update(body).digest("hex");
    }
    if (this.asyncInsert) Object.assign(settings, { async_insert: 1, wait_for_async_insert: 1 });
    const columns = this.target.columns.map((c) => `\`${c.replace(/`/g, "\\`")}\``).join(", ");
    const result = await this.client.exec({
      query: `INSERT INTO ${this.target.table} (${columns}) FORMAT ${this.target.format}`,
      values: Readable.from([Buffer.from(body)]),
      clickhouse_settings: settings,
    });
    // The response body is empty for an INSERT; reading it to the end returns the socket to the pool.
    for await (const _ of result.stream) {
      // drain
    }
  }
}
