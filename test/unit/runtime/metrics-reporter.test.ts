/**
 * PipelineMetricsReporter: a partition that comes back gets a new task whose counters start at 0, and its first
 * row counts from 0 (not a negative delta against the old task's totals, which ClickHouse refuses for UInt
 * columns); rows ClickHouse refused are dropped, not sent again with the rest of the batch it already took.
 */
import pino from "pino";
import { describe, expect, it } from "vitest";
import { BatchError, TransientError } from "../../../core/errors.ts";
import type { StreamRecord } from "../../../processors/api.ts";
import type { Sink } from "../../../sinks/api.ts";
import { PipelineMetricsReporter } from "../../../topologies/runtime/metrics-reporter.ts";
import type { Task } from "../../../topologies/runtime/task.ts";
import { TaskStats } from "../../../topologies/runtime/task-stats.ts";

const logger = pino({ level: "silent" });

function task(recordsIn: number): Task {
  const stats = new TaskStats({ topology: "unit-metrics", topic: "in", partition: 0 });
  stats.countIn(recordsIn);
  return { id: "in:0", topic: "in", partition: 0, lag: 0, stats } as unknown as Task;
}

/** Records what it is given; fails the next write with `next` when set. */
class RecordingSink implements Sink {
  readonly name = "pipeline-metrics";
  readonly written: StreamRecord[][] = [];
  next: Error | undefined;
  async write(records: readonly StreamRecord[]): Promise<void> {
    const error = this.next;
    this.next = undefined;
    if (error) throw error;
    this.written.push([...records]);
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

const recordsIn = (r: StreamRecord) => (r.value as { records_in: number }).records_in;

describe("PipelineMetricsReporter", () => {
  it("counts a task that replaced one of the same partition from 0", async () => {
    const sink = new RecordingSink();
    let tasks = [task(500)];
    const reporter = new PipelineMetricsReporter({
      applicationId: "unit-metrics",
      runId: "live",
      sink,
      tasks: () => tasks,
      logger,
    });
    await reporter.tick();
    tasks = [task(30)]; // the partition was lost and came back: a new task, same id
    await reporter.tick();
    expect(sink.written.map((batch) => batch.map(recordsIn))).toEqual([[500], [30]]);
  });

  it("drops rows ClickHouse refused, keeps a batch that failed as a whole", async () => {
    const sink = new RecordingSink();
    const tasks = [task(10), task(20)];
    const reporter = new PipelineMetricsReporter({
      applicationId: "unit-metrics",
      runId: "live",
      sink,
      tasks: () => tasks,
      logger,
    });
    sink.next = new TransientError("ClickHouse is down");
    await reporter.tick(); // kept: two rows
    sink.next = new BatchError("refused").failed(1, new Error("Unsigned type must not contain '-'"));
    await reporter.tick(); // four rows sent; ClickHouse took three of them: none is sent again
    await reporter.tick();
    expect(sink.written.map((batch) => batch.length)).toEqual([2]);
  });
});
