/**
 * Counters and distributions of one task, read by `/metrics`, `sluice status` and the `pipeline_metrics`
 * rows written per interval. Plain numbers for the interval rows, mirrored into the Prometheus metrics.
 */
import { metrics } from "../../core/metrics.ts";

/** A bounded reservoir of recent observations, for p50/p95/p99 per interval. */
export class Reservoir {
  private values: number[] = [];
  constructor(private readonly capacity = 2048) {}

  add(value: number): void {
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[Math.floor(Math.random() * this.capacity)] = value;
  }

  /** Quantiles of what was added since the last `reset`; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  mean(): number | undefined {
    if (this.values.length === 0) return undefined;
    return this.values.reduce((a, b) => a + b, 0) / this.values.length;
  }

  get size(): number {
    return this.values.length;
  }

  reset(): void {
    this.values = [];
  }
}

export interface TaskLabels {
  topology: string;
  topic: string;
  partition: number;
}

export class TaskStats {
  recordsIn = 0;
  deadLettered = 0;
  backpressureWaits = 0;
  paused = false;
  pauseReason = "";
  readonly recordsOut = new Map<string, number>();
  readonly batchSizes = new Reservoir();
  readonly latencies = new Map<string, Reservoir>();
  private readonly partition: string;

  constructor(private readonly labels: TaskLabels) {
    this.partition = String(labels.partition);
  }

  countIn(count: number): void {
    this.recordsIn += count;
    const { topology, topic } = this.labels;
    metrics.recordsIn.inc({ topology, topic, partition: this.partition }, count);
    metrics.batchSize.observe({ topology }, count);
    this.batchSizes.add(count);
  }

  countOut(sink: string, count: number, ms?: number): void {
    this.recordsOut.set(sink, (this.recordsOut.get(sink) ?? 0) + count);
    const { topology } = this.labels;
    metrics.recordsOut.inc({ topology, sink, partition: this.partition }, count);
    if (ms !== undefined) {
      metrics.sinkWriteLatency.observe({ topology, sink }, ms / 1000);
      this.observeLatency(`sink:${sink}`, ms);
    }
  }

  countDeadLettered(processor: string, count = 1): void {
    this.deadLettered += count;
    metrics.recordsDeadLettered.inc({ topology: this.labels.topology, processor, partition: this.partition }, count);
  }

  setPaused(paused: boolean, reason = ""): void {
    this.paused = paused;
    this.pauseReason = reason;
    const { topology, topic } = this.labels;
    metrics.partitionPaused.set({ topology, topic, partition: this.partition }, paused ? 1 : 0);
  }

  /** A stage's latency in ms (`process`, `sink:<name>`, or a processor name). */
  observeLatency(stage: string, ms: number): void {
    let reservoir = this.latencies.get(stage);
    if (!reservoir) {
      reservoir = new Reservoir();
      this.latencies.set(stage, reservoir);
    }
    reservoir.add(ms);
  }

  get totalOut(): number {
    let total = 0;
    for (const count of this.recordsOut.values()) total += count;
    return total;
  }
}
