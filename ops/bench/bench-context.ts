/**
 * A ProcessorContext for stage benchmarks: keeps the last forwarded records (so a stage's output can feed the
 * next stage) without a topology around it, and counts nothing.
 */
import { silentLogger } from "../../core/logger.ts";
import { type Processor, type ProcessorContext, StreamRecord } from "../../processors/api.ts";
import { noStores } from "../../processors/stores.ts";

export interface BenchContext extends ProcessorContext {
  forwarded: StreamRecord[];
}

export function benchContext(processorName: string): BenchContext {
  const ctx: BenchContext = {
    applicationId: "bench",
    runId: "bench",
    processorName,
    taskId: "enterprise-events-0",
    partition: 0,
    logger: silentLogger(),
    metrics: { count: () => undefined, observe: () => undefined },
    children: [],
    now: () => Date.now(),
    forwarded: [],
    ...noStores,
    forward(record) {
      ctx.forwarded.push(record);
    },
  };
  return ctx;
}

export function asRecords(values: readonly unknown[]): StreamRecord[] {
  return values.map(
    (v, i) => new StreamRecord(null, v, {}, Date.now(), { topic: "enterprise-events", partition: 0, offset: i }),
  );
}

/**
 * Best-of-`reps` records/s of a processor over `input` in micro-batches of `batch` (processBatch), or one
 * record at a time (process) when `batch` is 0. Returns the outputs of the last rep too.
 */
export async function stageRate(
  processor: Processor,
  ctx: BenchContext,
  input: readonly StreamRecord[],
  batch: number,
  reps = 3,
): Promise<{ recordsPerSecond: number; output: StreamRecord[] }> {
  let best = 0;
  for (let r = 0; r < reps; r++) {
    ctx.forwarded = [];
    const t0 = performance.now();
    if (batch === 0) for (const record of input) await processor.process?.(record as StreamRecord<never>);
    else {
      for (let i = 0; i < input.length; i += batch)
        await processor.processBatch?.(input.slice(i, i + batch) as StreamRecord<never>[]);
    }
    best = Math.max(best, input.length / ((performance.now() - t0) / 1000));
  }
  return { recordsPerSecond: Math.round(best), output: ctx.forwarded };
}
