/**
 * Counters and distributions of one task, read by `/metrics`, `sluice status` and the `pipeline_metrics`
 * rows written per interval. Plain numbers: the hot path only adds.
 */

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

  get size(): number {
    return this.values.length;
  }

  reset(): void {
    this.values = [];
  }
}

export class TaskStats {
  recordsIn = 0;
  deadLettered = 0;
  backpressureWaits = 0;
  readonly recordsOut = new Map<string, number>();
  readonly batchSizes = new Reservoir();
  readonly latencies = new Map<string, Reservoir>();

  countOut(sink: string, count: number): void {
    this.recordsOut.set(sink, (this.recordsOut.get(sink) ?? 0) + count);
  }

  observeBatch(size: number): void {
    this.batchSizes.add(size);
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
