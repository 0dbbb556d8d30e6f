/**
 * Writes one `pipeline_metrics` row per task per interval (records in/out, dead letters, batch sizes, per-stage
 * latency quantiles, lag, backend, paused and why) to ClickHouse. Rows that cannot be written (ClickHouse down)
 * are kept, up to a bound, and written when it is back: an outage shows as paused intervals afterwards. Rows
 * ClickHouse refused are dropped with an error (sending them again would double the rows it took from the batch).
 * Deltas are per task object: a partition that comes back gets a new task whose counters start at 0.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { BatchError } from "../../core/errors.ts";
import { StreamRecord } from "../../processors/api.ts";
import { currentBackend } from "../../processors/tfjs-backend.ts";
import type { Sink } from "../../sinks/api.ts";
import type { Task } from "./task.ts";

export interface MetricsReporterOptions {
  applicationId: string;
  runId: string;
  sink: Sink;
  tasks: () => Iterable<Task>;
  logger: Logger;
  /** @default 10000 (SLUICE_METRICS_INTERVAL_MS) */
  intervalMs?: number;
  /** Rows kept while ClickHouse is unreachable. @default 20000 */
  maxPending?: number;
}

interface Previous {
  recordsIn: number;
  recordsOut: number;
  deadLettered: number;
  backpressureWaits: number;
}

export class PipelineMetricsReporter {
  private timer: NodeJS.Timeout | undefined;
  private pending: StreamRecord[] = [];
  private previous = new WeakMap<Task, Previous>();
  private intervalStart = Date.now();
  private writing: Promise<void> | undefined;
  private readonly host = hostname();
  private readonly intervalMs: number;

  constructor(private readonly options: MetricsReporterOptions) {
    this.intervalMs = options.intervalMs ?? Number(process.env.SLUICE_METRICS_INTERVAL_MS ?? 10_000);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Closes the current interval into rows and tries to write everything pending. */
  async tick(): Promise<void> {
    const now = Date.now();
    for (const task of this.options.tasks()) this.pending.push(this.row(task, now));
    this.intervalStart = now;
    const max = this.options.maxPending ?? 20_000;
    if (this.pending.length > max) this.pending.splice(0, this.pending.length - max);
    if (this.writing) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.options.sink
      .write(batch)
      .catch((error: unknown) => this.failed(batch, error))
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  /** Keeps a batch that could not be written; drops the rows ClickHouse refused (the rest of it was written). */
  private failed(batch: StreamRecord[], error: unknown): void {
    if (error instanceof BatchError) {
      const refused = [...error.failures].map(([index, reason]) => ({
        row: batch[index]?.value,
        reason: reason.message,
      }));
      this.options.logger.error(
        { refused: refused.slice(0, 3), count: refused.length },
        "pipeline metrics rows refused; dropped",
      );
      return;
    }
    this.pending = [...batch, ...this.pending];
    this.options.logger.warn({ err: error, rows: this.pending.length }, "pipeline metrics not written yet; kept");
  }

  private row(task: Task, now: number): StreamRecord {
    const s = task.stats;
    const before = this.previous.get(task) ?? { recordsIn: 0, recordsOut: 0, deadLettered: 0, backpressureWaits: 0 };
    const current = {
      recordsIn: s.recordsIn,
      recordsOut: s.totalOut,
      deadLettered: s.deadLettered,
      backpressureWaits: s.backpressureWaits,
    };
    this.previous.set(task, current);
    const stages = [...s.latencies.entries()]
      .filter(([, r]) => r.size > 0)
      .map(([name, r]) => ({
        name,
        p50_ms: r.quantile(0.5) ?? 0,
        p95_ms: r.quantile(0.95) ?? 0,
        p99_ms: r.quantile(0.99) ?? 0,
      }));
    const batches = s.batchSizes.size;
    const sizes = [s.batchSizes.mean() ?? 0, s.batchSizes.quantile(1) ?? 0];
    const value = {
      application_id: this.options.applicationId,
      run_id: this.options.runId,
      host: this.host,
      task_id: task.id,
      source_topic: task.topic,
      source_partition: task.partition,
      interval_start: this.intervalStart,
      interval_ms: now - this.intervalStart,
      records_in: current.recordsIn - before.recordsIn,
      records_out: current.recordsOut - before.recordsOut,
      dead_lettered: current.deadLettered - before.deadLettered,
      batches,
      batch_size_avg: sizes[0],
      batch_size_max: sizes[1],
      stages,
      consumer_lag: task.lag,
      inference_backend: currentBackend()?.name ?? "",
      paused: s.paused ? 1 : 0,
      pause_reason: s.pauseReason,
      backpressure_waits: current.backpressureWaits - before.backpressureWaits,
    };
    for (const r of s.latencies.values()) r.reset();
    s.batchSizes.reset();
    return new StreamRecord(null, value, {}, now, { topic: task.topic, partition: task.partition, offset: -1 });
  }

  /**
   * Final interval; then keeps trying to write what is pending (rows kept through an outage) for up to
   * `timeoutMs`, past a sink's circuit-breaker window, so the stall reaches `pipeline_metrics`.
   */
  async stop(timeoutMs = 15_000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    await this.writing;
    await this.tick();
    while (this.pending.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const batch = this.pending;
      this.pending = [];
      await this.options.sink.write(batch).catch((error: unknown) => this.failed(batch, error));
    }
    if (this.pending.length > 0)
      this.options.logger.warn({ rows: this.pending.length }, "pipeline metrics dropped at stop");
  }
}
